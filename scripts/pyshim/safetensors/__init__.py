"""A pure-Python stand-in for the `safetensors` package's `load_file`, for
machines without it (scripts/gpu-check.sh puts this folder on PYTHONPATH
only when `import safetensors` fails). Reads the format: an 8-byte
little-endian header length, a JSON header, then the raw tensor bytes."""
