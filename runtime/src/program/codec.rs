//! The `.tsg` header codec: bincode 2.0.1 (serde) with its `standard`
//! configuration (little-endian, variable-length integers) and a decode
//! limit. The only module that names `bincode`, so the codec can be swapped
//! (a swap is a format version bump).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Most bytes a header may make the decoder claim (strings, sequences).
pub const DECODE_LIMIT: usize = 256 << 20;

fn config() -> bincode::config::Configuration<bincode::config::LittleEndian, bincode::config::Varint, bincode::config::Limit<DECODE_LIMIT>> {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

/// Encodes a value.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    bincode::serde::encode_to_vec(value, config()).map_err(|e| e.to_string())
}

/// Decodes a value that must fill `bytes` exactly.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, config()).map_err(|e| e.to_string())?;
    if used != bytes.len() {
        return Err(format!("{} bytes left over after the header", bytes.len() - used));
    }
    Ok(value)
}
