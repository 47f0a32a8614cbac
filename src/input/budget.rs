//! Bytes in flight: a budget the pipeline's reader takes from before it queues
//! a frame and that is given back when the frame is delivered, so memory is
//! bounded by bytes, not only by a count of frames.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

#[derive(Debug)]
pub struct ByteBudget {
    limit: u64,
    state: Mutex<BudgetState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct BudgetState {
    used: u64,
    peak: u64,
    closed: bool,
}

/// Bytes held until dropped.
#[derive(Debug)]
pub struct Grant {
    budget: Arc<ByteBudget>,
    bytes: u64,
}

impl ByteBudget {
    pub fn new(limit: u64) -> Arc<Self> {
        Arc::new(ByteBudget {
            limit: limit.max(1),
            state: Mutex::new(BudgetState::default()),
            changed: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BudgetState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `bytes` fit, or nothing is held at all (a frame larger than
    /// the whole budget then goes alone). None once the budget is closed.
    /// Only a thread outside the worker pool may wait here: workers must
    /// always finish, so that held bytes are given back.
    pub fn acquire(self: &Arc<Self>, bytes: u64) -> Option<Grant> {
        let mut state = self.lock();
        while !state.closed && state.used > 0 && state.used.saturating_add(bytes) > self.limit {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.closed {
            return None;
        }
        Some(self.hold(&mut state, bytes))
    }

    /// Counts bytes already in memory without waiting: a worker that learns a
    /// frame's size only by decompressing it must not wait (see `acquire`),
    /// but the reader then holds back until these bytes are given back.
    pub fn charge(self: &Arc<Self>, bytes: u64) -> Grant {
        let mut state = self.lock();
        self.hold(&mut state, bytes)
    }

    fn hold(self: &Arc<Self>, state: &mut BudgetState, bytes: u64) -> Grant {
        state.used += bytes;
        state.peak = state.peak.max(state.used);
        Grant {
            budget: Arc::clone(self),
            bytes,
        }
    }

    /// Wakes a waiting reader for good (the consumer has stopped).
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    /// The most bytes held at once.
    pub fn peak(&self) -> u64 {
        self.lock().peak
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }
}

impl Drop for Grant {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        let mut state = self.budget.lock();
        state.used -= self.bytes;
        drop(state);
        self.budget.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn acquire_waits_for_bytes_to_come_back() {
        let budget = ByteBudget::new(100);
        let a = budget.acquire(60).expect("fits");
        let b = budget.acquire(40).expect("fits");
        let waiter = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || budget.acquire(50).map(|g| g.bytes))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "100 of 100 bytes are held");
        drop(a);
        assert_eq!(waiter.join().expect("join"), Some(50));
        drop(b);
        assert_eq!(budget.peak(), 100);
    }

    #[test]
    fn a_frame_larger_than_the_budget_goes_alone() {
        let budget = ByteBudget::new(10);
        let big = budget.acquire(1000).expect("nothing else held");
        let charged = budget.charge(5);
        assert_eq!(budget.peak(), 1005);
        drop((big, charged));
        assert!(budget.acquire(10).is_some());
    }

    #[test]
    fn close_wakes_a_waiting_reader() {
        let budget = ByteBudget::new(10);
        let held = budget.acquire(10).expect("fits");
        let waiter = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || budget.acquire(10).is_none())
        };
        std::thread::sleep(Duration::from_millis(20));
        budget.close();
        assert!(waiter.join().expect("join"));
        drop(held);
    }
}
