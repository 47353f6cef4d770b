//! Devices a tensor can live on (`Storage` carries its device), and the
//! process-wide default device of factory functions (`torch.zeros(..)`
//! without `device=`), PyTorch's `torch.set_default_device`.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The default device, encoded: 0 is the CPU, `n + 1` is `cuda:n`.
static DEFAULT: AtomicUsize = AtomicUsize::new(0);

/// Where factory functions put tensors when no `device=` is given
/// (`torch.set_default_device`); the CPU unless changed.
pub fn default_device() -> Device {
    match DEFAULT.load(Ordering::Relaxed) {
        0 => Device::Cpu,
        n => Device::Cuda(n - 1),
    }
}

/// Sets [`default_device`] for the whole process (`tsc ... --device`).
pub fn set_default_device(d: Device) {
    DEFAULT.store(
        match d {
            Device::Cpu => 0,
            Device::Cuda(n) => n + 1,
        },
        Ordering::Relaxed,
    );
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    #[default]
    Cpu,
    /// `cuda:N`.
    Cuda(usize),
}

impl Device {
    /// Parses `cpu`, `cuda`, `cuda:N`.
    pub fn parse(s: &str) -> Option<Device> {
        match s {
            "cpu" => Some(Device::Cpu),
            "cuda" => Some(Device::Cuda(0)),
            _ => s.strip_prefix("cuda:").and_then(|n| n.parse().ok()).map(Device::Cuda),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}
