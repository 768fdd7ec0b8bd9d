//! Logged-in sessions reused across a run (issue 16): one login per user,
//! then the issuer's session cookies for every later authorization that
//! does not need a fresh login. Against an issuer that hashes passwords
//! slowly, the logins are most of a run's time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::cookies::Jar;

/// The run's sessions, a pool per user role, and what they saved. A
/// session serves one authorization at a time: issuers keep per-session
/// interaction state (oidc-provider answers 400 to a second authorization
/// in flight on one session), so concurrent authorizations of one user each
/// take their own session, and at most `concurrency` logins per user happen.
#[derive(Debug, Default)]
pub struct Sessions {
    /// Off: every authorization logs in (`run --fresh-logins`).
    disabled: std::sync::atomic::AtomicBool,
    pools: Mutex<HashMap<String, Vec<Jar>>>,
    logins: AtomicU64,
    login_ms: AtomicU64,
    reused: AtomicU64,
    reused_ms: AtomicU64,
}

impl Sessions {
    /// Every authorization from now on logs in afresh.
    pub fn disable(&self) {
        self.disabled.store(true, Ordering::Relaxed);
    }

    pub fn disabled(&self) -> bool {
        self.disabled.load(Ordering::Relaxed)
    }

    /// A free session of `user` for one authorization (`None`: log in);
    /// it is the caller's until [`Sessions::settle`] gives it back.
    pub fn take(&self, user: &str) -> Option<Jar> {
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        pools.get_mut(user).and_then(Vec::pop)
    }

    /// What an authorization came to: its session (the cookies at its
    /// end) goes back to the pool unless sessions are off, and the login or
    /// the reuse is counted.
    pub fn settle(&self, user: &str, outcome: Settled) {
        let jar = match outcome {
            Settled::LoggedIn { jar, ms } => {
                self.logins.fetch_add(1, Ordering::Relaxed);
                self.login_ms.fetch_add(ms, Ordering::Relaxed);
                Some(jar)
            }
            Settled::Reused { jar, ms } => {
                self.reused.fetch_add(1, Ordering::Relaxed);
                self.reused_ms.fetch_add(ms, Ordering::Relaxed);
                Some(jar)
            }
            Settled::Neither { session } => session,
        };
        if let (Some(jar), false) = (jar, self.disabled()) {
            let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
            pools.entry(user.to_string()).or_default().push(jar);
        }
    }

    /// Logins done, sessions reused, and the request time the reuse saved:
    /// for each reuse, what an average authorization with a login took
    /// more than an average one on a session.
    pub fn stats(&self) -> crate::report::model::SessionStats {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (logins, reused) = (load(&self.logins), load(&self.reused));
        let with_login = load(&self.login_ms).checked_div(logins).unwrap_or(0);
        let on_session = load(&self.reused_ms).checked_div(reused).unwrap_or(0);
        crate::report::model::SessionStats {
            logins,
            reused,
            saved_ms: with_login.saturating_sub(on_session) * reused,
        }
    }
}

/// How an authorization used its session.
pub enum Settled {
    /// The login form was filled and the walk reached the client, in `ms`;
    /// `jar` is the session it made.
    LoggedIn { jar: Jar, ms: u64 },
    /// A session carried the user through without a login, in `ms`.
    Reused { jar: Jar, ms: u64 },
    /// Neither (no login was asked for, or the walk did not reach the
    /// client); the session it started from, if any, goes back.
    Neither { session: Option<Jar> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_serves_one_authorization_at_a_time() {
        let s = Sessions::default();
        assert!(s.take("u1").is_none(), "nothing to reuse yet: log in");
        s.settle(
            "u1",
            Settled::LoggedIn {
                jar: Jar::default(),
                ms: 400,
            },
        );
        let held = s.take("u1").expect("the login's session");
        assert!(
            s.take("u1").is_none(),
            "a second authorization in flight logs in"
        );
        s.settle("u1", Settled::Reused { jar: held, ms: 50 });
        assert!(s.take("u1").is_some(), "the session is back");
        assert!(s.take("u2").is_none(), "another user's is their own");
        let st = s.stats();
        assert_eq!((st.logins, st.reused, st.saved_ms), (1, 1, 350));
    }

    #[test]
    fn off_means_nothing_is_kept_but_logins_are_counted() {
        let s = Sessions::default();
        s.disable();
        s.settle(
            "u1",
            Settled::LoggedIn {
                jar: Jar::default(),
                ms: 1,
            },
        );
        assert!(s.take("u1").is_none());
        assert_eq!(s.stats().logins, 1);
    }
}
