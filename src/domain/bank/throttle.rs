//! Sign-in throttling at the banks: how long a user or a client address must wait after
//! failed passwords and codes. Every failure is counted against both; a few are free, then
//! each further attempt waits twice as long as the last, and past a limit the key is locked
//! for a fixed time. Pure: the counters live in the store, `now` is a parameter.

/// The limits for one kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures allowed before any wait.
    pub free: i64,
    /// Failures after which the key is locked for `lock_secs` (each further failure too).
    pub lock_after: i64,
    pub lock_secs: i64,
    /// The longest back-off wait before the lock.
    pub max_backoff_secs: i64,
    /// A key with no failure for this long starts again from zero.
    pub forget_secs: i64,
}

/// Per bank user (by institution and username, whether or not the user exists): five free
/// failures (one request's worth), then 1, 2, 4, 8, 16 s, then locked 15 minutes.
pub const USER: Policy = Policy {
    free: 5,
    lock_after: 10,
    lock_secs: 15 * 60,
    max_backoff_secs: 60,
    forget_secs: 24 * 60 * 60,
};

/// Per client address, across users (one address guessing many users' passwords): higher,
/// since many people and CI jobs can share an address.
pub const ADDRESS: Policy = Policy {
    free: 20,
    lock_after: 100,
    lock_secs: 15 * 60,
    max_backoff_secs: 60,
    forget_secs: 60 * 60,
};

/// A key's recorded failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub last_at: i64,
}

/// Why an attempt may not be made yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// When the next attempt is allowed (unix seconds).
    pub until: i64,
    /// Locked (rather than backing off).
    pub locked: bool,
}

impl Policy {
    /// How long a key with `count` failures waits after its last one.
    pub fn wait_secs(&self, count: i64) -> i64 {
        if count >= self.lock_after {
            self.lock_secs
        } else if count >= self.free {
            let doublings = (count - self.free).min(30) as u32;
            (1i64 << doublings).min(self.max_backoff_secs)
        } else {
            0
        }
    }

    /// The wait in force at `now`, if any.
    pub fn wait(&self, failures: Option<Failures>, now: i64) -> Option<Wait> {
        let f = failures?;
        if now - f.last_at >= self.forget_secs {
            return None;
        }
        let until = f.last_at + self.wait_secs(f.count);
        (until > now).then_some(Wait {
            until,
            locked: f.count >= self.lock_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_then_doubling_then_locked() {
        let waits: Vec<i64> = (0..=11).map(|n| USER.wait_secs(n)).collect();
        assert_eq!(waits, vec![0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 900, 900]);
        assert_eq!(ADDRESS.wait_secs(19), 0);
        assert_eq!(ADDRESS.wait_secs(99), 60);
        assert_eq!(ADDRESS.wait_secs(100), 900);
    }

    #[test]
    fn waits_end_and_old_failures_are_forgotten() {
        let f = Some(Failures {
            count: 10,
            last_at: 1000,
        });
        assert_eq!(
            USER.wait(f, 1000),
            Some(Wait {
                until: 1900,
                locked: true
            })
        );
        assert_eq!(USER.wait(f, 1899).map(|w| w.until), Some(1900));
        assert_eq!(USER.wait(f, 1900), None);
        let backing_off = Some(Failures {
            count: 6,
            last_at: 1000,
        });
        assert_eq!(
            USER.wait(backing_off, 1001),
            Some(Wait {
                until: 1002,
                locked: false
            })
        );
        assert_eq!(USER.wait(None, 1000), None);
        assert_eq!(
            USER.wait(
                Some(Failures {
                    count: 3,
                    last_at: 1000
                }),
                1000
            ),
            None
        );
    }
}
