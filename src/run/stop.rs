//! When a run must stop early: its deadline passes, or the user sends
//! SIGINT or SIGTERM. An issuer that never answers must not hold a CI job
//! until it is killed without a report, so every run has a deadline, and
//! the runner hears a stop as soon as it happens (`run::execute_until`),
//! cancels what is running and still reports what finished.

use std::time::Duration;

use tokio::sync::watch;

use crate::report::model::{Halt, HaltCause};

/// A stop that may come: cheap to clone, every clone hears it.
#[derive(Clone)]
pub struct Stop {
    rx: watch::Receiver<Option<Halt>>,
    // Keeps the channel open for `never()`, which has no watcher task.
    _tx: Option<std::sync::Arc<watch::Sender<Option<Halt>>>>,
}

/// The reason a deadline stop gives, in every report.
pub fn deadline_reason(deadline: Duration) -> String {
    let secs = match deadline.subsec_millis() {
        0 => deadline.as_secs().to_string(),
        _ => format!("{:.1}", deadline.as_secs_f64()),
    };
    format!("interrupted: the run deadline of {secs} s passed")
}

impl Stop {
    /// A stop that never comes.
    pub fn never() -> Stop {
        let (tx, rx) = watch::channel(None);
        Stop {
            rx,
            _tx: Some(std::sync::Arc::new(tx)),
        }
    }

    /// Stops after `deadline`, or on SIGINT or SIGTERM, whichever is first.
    /// Must be called inside a tokio runtime.
    pub fn arm(deadline: Duration) -> Stop {
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            let halt = tokio::select! {
                _ = tokio::time::sleep(deadline) => {
                    Halt::new(HaltCause::Deadline, deadline_reason(deadline))
                }
                name = signalled() => Halt::new(HaltCause::Signal, format!("interrupted by {name}")),
            };
            let _ = tx.send(Some(halt));
        });
        Stop { rx, _tx: None }
    }

    /// Waits for the stop and says why it came. Never returns for
    /// [`Stop::never`].
    pub async fn wait(&mut self) -> Halt {
        loop {
            if let Some(h) = self.rx.borrow_and_update().clone() {
                return h;
            }
            if self.rx.changed().await.is_err() {
                // The watcher is gone without a stop: none will come.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The name of the first of SIGINT and SIGTERM to arrive. Handling them
/// is the point: by default either kills the process, reports unwritten.
async fn signalled() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = async {
            match signal(SignalKind::terminate()) {
                Ok(mut t) => t.recv().await,
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sigint() => "SIGINT",
            _ = term => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        sigint().await;
        "SIGINT"
    }
}

/// Returns on SIGINT; never, when no handler can be installed.
async fn sigint() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_deadline_stops_with_its_reason() {
        let mut s = Stop::arm(Duration::from_millis(20));
        let h = tokio::time::timeout(Duration::from_secs(5), s.wait())
            .await
            .expect("the deadline fires");
        assert_eq!(h.cause, HaltCause::Deadline);
        assert_eq!(h.reason, "interrupted: the run deadline of 0.0 s passed");
        // A clone made later still hears it.
        let mut again = s.clone();
        assert_eq!(again.wait().await, h);
    }

    #[tokio::test]
    async fn never_never_stops() {
        let mut s = Stop::never();
        let waited = tokio::time::timeout(Duration::from_millis(30), s.wait()).await;
        assert!(waited.is_err());
    }
}
