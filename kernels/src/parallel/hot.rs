//! [`pair`]: one job split in two halves, the second run by a helper thread
//! that is kept spinning between jobs, for work too small to pay for
//! waking a rayon worker.
//!
//! Why: an RNN step's matrix-vector product (`lstm_loop`: 256×1024 floats,
//! 1 MiB) takes ~12 µs on one core. Handing half of it to a sleeping rayon
//! worker costs a futex wake-up (on a VM, an inter-processor interrupt and
//! a VM exit) of about as much, so it ran on one thread. A helper that is
//! still spinning when the next step's job arrives starts it within a
//! cache-line transfer (~0.1 µs).
//!
//! How: one process-wide helper thread, started on first use. The caller
//! publishes the job (a pointer to its closure) in a slot and bumps a
//! sequence number, runs `f(0)` itself, then waits for the helper's done
//! number. Between jobs the helper spins for [`SPIN`], then spins with
//! `yield_now` (so a runnable thread on its core, such as a rayon worker,
//! gets the core) until [`PARK_AFTER`], then parks until the next job
//! unparks it. One caller at a time owns the helper; a second concurrent
//! caller (a rayon worker inside a parallel region) runs both halves
//! itself, in order.
//!
//! Invariant: the job pointer in the slot is only dereferenced between the
//! caller's `seq` bump and the helper's matching `done` store, and the
//! caller does not return (or unwind) before that `done` store, so the
//! closure it points to outlives every use.

use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long the helper spins on the slot after a job before yielding.
const SPIN: Duration = Duration::from_micros(50);
/// How long the helper keeps checking (spinning with `yield_now`) before
/// it parks.
const PARK_AFTER: Duration = Duration::from_millis(2);

type Job = *const (dyn Fn(usize) + Sync);

struct Slot {
    /// Bumped by the owner to publish a job.
    seq: AtomicU64,
    /// Set to `seq` by the helper when that job is done.
    done: AtomicU64,
    /// The job of the current `seq` (see the module invariant).
    job: UnsafeCell<Option<Job>>,
    /// The helper's half panicked.
    panicked: AtomicBool,
    /// Taken by the caller that owns the helper.
    busy: AtomicBool,
    /// The helper is parked or about to park.
    sleeping: AtomicBool,
    thread: OnceLock<Thread>,
}

// SAFETY: `job` is written only by the owner (who holds `busy`) before it
// publishes `seq`, and read only by the helper after it saw that `seq` and
// before it stores `done`; the closure behind it is `Sync`.
unsafe impl Sync for Slot {}

static SLOT: Slot = Slot {
    seq: AtomicU64::new(0),
    done: AtomicU64::new(0),
    job: UnsafeCell::new(None),
    panicked: AtomicBool::new(false),
    busy: AtomicBool::new(false),
    sleeping: AtomicBool::new(false),
    thread: OnceLock::new(),
};

/// Runs `f(0)` on this thread and `f(1)` on the helper, and returns when
/// both are done (both halves run on this thread, `f(0)` first, on a
/// rayon worker, or when the helper is already in use or cannot be
/// started). A panic in either half is raised here after both have
/// finished.
pub fn pair(f: &(dyn Fn(usize) + Sync)) {
    // A rayon worker is already one of the pool's threads running in
    // parallel: handing half to the helper would put three spinning
    // threads on two cores. `tsc exec --profile` of `layer_norm(x) + x`
    // (whose moments run under `par_chunks`) took 3 ms a call instead of
    // 0.1 whenever the helper lost its core that way.
    if rayon::current_thread_index().is_some() {
        return both_here(f);
    }
    let Some(helper) = helper() else {
        return both_here(f);
    };
    if SLOT.busy.swap(true, Ordering::Acquire) {
        return both_here(f);
    }
    // SAFETY: the lifetime is erased only for the slot, which the helper
    // reads until it stores `done`; `Wait` below keeps this frame (and `f`)
    // alive until then, also when `f(0)` unwinds.
    let job: Job = unsafe {
        std::mem::transmute::<&(dyn Fn(usize) + Sync), &'static (dyn Fn(usize) + Sync)>(f)
    };
    // SAFETY: we own the slot (`busy`); the helper reads `job` only after
    // the `seq` store below.
    unsafe { *SLOT.job.get() = Some(job) };
    let seq = SLOT.seq.load(Ordering::Relaxed) + 1;
    SLOT.seq.store(seq, Ordering::SeqCst);
    if SLOT.sleeping.load(Ordering::SeqCst) {
        helper.unpark();
    }
    let wait = Wait(seq);
    f(0);
    if wait.finish() {
        panic!("hot::pair: the helper's half of the job panicked");
    }
}

/// `f(0)` then `f(1)` on this thread; a panic in `f(0)` is raised after
/// `f(1)` ran, as [`pair`] promises.
fn both_here(f: &(dyn Fn(usize) + Sync)) {
    let first = catch_unwind(AssertUnwindSafe(|| f(0)));
    f(1);
    if let Err(p) = first {
        std::panic::resume_unwind(p);
    }
}

/// Waits for job `.0` to be done and releases the slot, also on unwinding.
struct Wait(u64);

impl Wait {
    /// Waits, then releases the slot; whether the helper's half panicked.
    fn finish(self) -> bool {
        let panicked = self.release();
        std::mem::forget(self);
        panicked
    }

    fn release(&self) -> bool {
        while SLOT.done.load(Ordering::Acquire) != self.0 {
            std::hint::spin_loop();
        }
        // SAFETY: the helper is done with the job; we still own the slot.
        unsafe { *SLOT.job.get() = None };
        let panicked = SLOT.panicked.swap(false, Ordering::Relaxed);
        SLOT.busy.store(false, Ordering::Release);
        panicked
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        self.release();
    }
}

/// The helper thread, started on first use (`None` if it cannot be).
fn helper() -> Option<&'static Thread> {
    static STARTED: OnceLock<bool> = OnceLock::new();
    let ok = *STARTED.get_or_init(|| {
        std::thread::Builder::new()
            .name("tsc-hot".into())
            .spawn(|| {
                let _ = SLOT.thread.set(std::thread::current());
                serve()
            })
            .is_ok()
    });
    if !ok {
        return None;
    }
    // The helper registers itself first thing; wait for it.
    loop {
        if let Some(t) = SLOT.thread.get() {
            return Some(t);
        }
        std::thread::yield_now();
    }
}

/// The helper's loop: wait for a new `seq`, run the job's half 1, report.
fn serve() -> ! {
    // Not the current `seq`: the first owner may publish job 1 before this
    // thread gets here, and jobs are numbered from 1.
    let mut last = 0;
    loop {
        last = wait_for_job(last);
        // SAFETY: `seq` moved to `last`, so the owner stored this job
        // before; it stays valid until we store `done` (module invariant).
        let job = unsafe { *SLOT.job.get() };
        if let Some(job) = job {
            // SAFETY: as above.
            let f = unsafe { &*job };
            if catch_unwind(AssertUnwindSafe(|| f(1))).is_err() {
                SLOT.panicked.store(true, Ordering::Relaxed);
            }
        }
        SLOT.done.store(last, Ordering::Release);
    }
}

/// Returns the next `seq` after `last`: spinning, then yielding, then
/// parked.
fn wait_for_job(last: u64) -> u64 {
    let start = Instant::now();
    let mut polls = 0u32;
    loop {
        let s = SLOT.seq.load(Ordering::Acquire);
        if s != last {
            return s;
        }
        polls = polls.wrapping_add(1);
        if !polls.is_multiple_of(64) {
            std::hint::spin_loop();
            continue;
        }
        let idle = start.elapsed();
        if idle < SPIN {
            continue;
        }
        if idle < PARK_AFTER {
            std::thread::yield_now();
            continue;
        }
        SLOT.sleeping.store(true, Ordering::SeqCst);
        if SLOT.seq.load(Ordering::SeqCst) == last {
            std::thread::park();
        }
        SLOT.sleeping.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn both_halves_run_once_per_call() {
        let hits = [AtomicUsize::new(0), AtomicUsize::new(0)];
        for i in 0..2000 {
            if i == 1000 {
                // Long enough for the helper to park: the next job wakes it.
                std::thread::sleep(PARK_AFTER * 3);
            }
            pair(&|h| {
                hits[h].fetch_add(1, Ordering::Relaxed);
            });
        }
        assert_eq!(hits[0].load(Ordering::Relaxed), 2000);
        assert_eq!(hits[1].load(Ordering::Relaxed), 2000);
    }

    #[test]
    fn rayon_workers_run_both_halves_themselves() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool");
        pool.install(|| {
            let me = std::thread::current().id();
            let ran = [AtomicBool::new(false), AtomicBool::new(false)];
            pair(&|h| {
                assert_eq!(std::thread::current().id(), me, "half {h} left the worker");
                ran[h].store(true, Ordering::Relaxed);
            });
            assert!(ran.iter().all(|r| r.load(Ordering::Relaxed)));
        });
    }

    #[test]
    fn concurrent_callers_each_get_both_halves() {
        let hits = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..500 {
                        let mine = [AtomicBool::new(false), AtomicBool::new(false)];
                        pair(&|h| {
                            assert!(!mine[h].swap(true, Ordering::Relaxed));
                            hits.fetch_add(1, Ordering::Relaxed);
                        });
                        assert!(mine.iter().all(|m| m.load(Ordering::Relaxed)));
                    }
                });
            }
        });
        assert_eq!(hits.load(Ordering::Relaxed), 4 * 500 * 2);
    }

    #[test]
    fn a_panicking_half_is_raised_after_both_finished() {
        for bad in [0usize, 1] {
            let other_done = AtomicBool::new(false);
            let r = catch_unwind(AssertUnwindSafe(|| {
                pair(&|h| {
                    if h == bad {
                        panic!("half {h}");
                    }
                    std::thread::sleep(Duration::from_millis(5));
                    other_done.store(true, Ordering::Relaxed);
                })
            }));
            assert!(r.is_err());
            assert!(
                other_done.load(Ordering::Relaxed),
                "returned before the other half finished"
            );
        }
        // The helper still works afterwards.
        let n = AtomicUsize::new(0);
        pair(&|_| {
            n.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(n.load(Ordering::Relaxed), 2);
    }
}
