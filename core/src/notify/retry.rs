//! When to try again: exponential backoff with jitter, and the receiver's
//! `Retry-After`. Pure, so the schedule is tested without waiting.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Longest `Retry-After` obeyed; a receiver asking for more is retried
/// after this (it still counts against the 24 h limit).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// Exponential backoff: `base`, `2·base`, `4·base`, ... up to `cap`, each
/// spread ±20 % so many rows failing together do not retry in lockstep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    /// 1 s → 5 min.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(5 * 60),
        }
    }
}

impl Backoff {
    /// Wait after the `failures`-th failed attempt (1 = the first). `jitter`
    /// is a uniform random number in `[0, 1)`; 0.5 gives the nominal delay.
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        let nominal = self.base.saturating_mul(1u32 << doublings).min(self.cap);
        let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
        nominal.mul_f64(factor).min(self.cap)
    }
}

/// `Retry-After` as delta-seconds (`120`, or Discord's fractional `1.5`) or
/// an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`); a date in the past means
/// "now". `None` when unparseable.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_to_five_minutes() {
        let b = Backoff::default();
        let nominal: Vec<u64> = (1..=12).map(|n| b.delay(n, 0.5).as_secs()).collect();
        assert_eq!(nominal, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        // Jitter stays within ±20 % and never exceeds the cap.
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(800));
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(1200));
        assert_eq!(b.delay(20, 1.0), Duration::from_secs(300));
        assert!(b.delay(9, 0.0) >= Duration::from_millis(204_800));
        // Absurd counts do not overflow.
        assert_eq!(b.delay(u32::MAX, 0.5), Duration::from_secs(300));
        assert_eq!(b.delay(0, 0.5), Duration::from_secs(1));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now: DateTime<Utc> = "2015-10-21T07:27:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a past date means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
    }
}
