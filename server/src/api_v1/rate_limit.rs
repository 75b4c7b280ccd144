//! Requests per API token: a token bucket each, in this server's memory.
//!
//! A token may make `rate` requests a second, in bursts of `2 × rate`.
//! Several server instances each keep their own buckets, so a token's
//! limit is per instance; it protects the database from a runaway script,
//! not a bill.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Buckets {
    rate: f64,
    burst: f64,
    tokens: Mutex<HashMap<i64, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    left: f64,
    at: Instant,
}

impl Buckets {
    pub fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        Self {
            rate,
            burst: rate * 2.0,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the token's bucket at `now`; when it is
    /// empty, how long until it holds one again.
    pub fn take(&self, token_id: i64, now: Instant) -> Result<(), Duration> {
        let mut all = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        // Full buckets carry no information: forget them now and then, so
        // the map holds only tokens in use.
        if all.len() > 10_000 {
            let (rate, burst) = (self.rate, self.burst);
            all.retain(|_, b| b.left + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let b = all.entry(token_id).or_insert(Bucket {
            left: self.burst,
            at: now,
        });
        let refilled = (b.left + now.saturating_duration_since(b.at).as_secs_f64() * self.rate)
            .min(self.burst);
        if refilled >= 1.0 {
            *b = Bucket {
                left: refilled - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *b = Bucket {
                left: refilled,
                at: now,
            };
            Err(Duration::from_secs_f64((1.0 - refilled) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_its_burst_then_waits_for_the_rate() {
        let buckets = Buckets::new(2);
        let start = Instant::now();
        for _ in 0..4 {
            assert!(buckets.take(7, start).is_ok());
        }
        let wait = buckets.take(7, start).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        assert!(buckets.take(7, start + Duration::from_millis(500)).is_ok());
        // Another token has its own bucket.
        assert!(buckets.take(8, start).is_ok());
    }
}
