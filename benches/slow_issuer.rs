//! `cargo bench --bench slow_issuer`: the suite against slow issuers (issue
//! 16), with each user's session reused and with a login every time
//! (`--fresh-logins`). Method and results in BENCHMARKS.md ("Slow issuers").
//!
//! The reference issuer is slowed on purpose (`issuer::Costs`): a latency
//! before every answer (a round trip that much longer), and a hashing time
//! for each login and each HTTP Basic client authentication (an issuer that
//! hashes passwords and secrets slowly). Every configuration runs the same
//! plan once, in one process, one after the other; what to compare are the
//! ratios within one run (these machines are shared and noisy). Verdicts
//! must not depend on reuse: the bench stops if any case's outcome differs.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use grantcheck::issuer::{Costs, ReferenceSecrets};
use grantcheck::report::model::RunReport;
use grantcheck::run::{self, reference, Selection};
use grantcheck::scenario;

struct Config {
    label: &'static str,
    costs: Costs,
    concurrency: usize,
}

fn run_once(
    rt: &tokio::runtime::Runtime,
    scenarios: &Arc<Vec<scenario::Scenario>>,
    plan: &[run::Planned],
    c: &Config,
    reuse: bool,
) -> (Duration, RunReport) {
    rt.block_on(async {
        let shape = reference::Shape {
            costs: c.costs,
            ..Default::default()
        };
        let r = reference::start_shaped(&BTreeSet::new(), ReferenceSecrets::random(), &shape)
            .await
            .expect("the reference starts");
        if !reuse {
            r.target.sessions.disable();
        }
        let t = Instant::now();
        let report = run::execute(
            scenarios.clone(),
            plan.to_vec(),
            Arc::new(r.target),
            c.concurrency,
            |_| {},
        )
        .await;
        (t.elapsed(), report)
    })
}

fn outcomes(r: &RunReport) -> Vec<(String, String)> {
    r.cases
        .iter()
        .map(|c| (c.id.clone(), format!("{:?}", c.outcome)))
        .collect()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let scenarios = Arc::new(scenario::load_dir(Path::new("suites")).expect("suites load"));
    let plan = run::select(&scenarios, &Selection::default()).expect("plan");
    let ms = Duration::from_millis;
    let configs = [
        Config {
            label: "25 ms RTT, concurrency 8",
            costs: Costs {
                latency: ms(25),
                hashing: ms(0),
            },
            concurrency: 8,
        },
        Config {
            label: "100 ms RTT, concurrency 8",
            costs: Costs {
                latency: ms(100),
                hashing: ms(0),
            },
            concurrency: 8,
        },
        Config {
            label: "100 ms RTT, concurrency 32",
            costs: Costs {
                latency: ms(100),
                hashing: ms(0),
            },
            concurrency: 32,
        },
        Config {
            label: "0.4 s per login and Basic auth, concurrency 1",
            costs: Costs {
                latency: ms(0),
                hashing: ms(400),
            },
            concurrency: 1,
        },
        Config {
            label: "0.4 s per login and Basic auth, concurrency 8",
            costs: Costs {
                latency: ms(0),
                hashing: ms(400),
            },
            concurrency: 8,
        },
    ];
    println!("| issuer | fresh logins | sessions reused | ratio | logins (fresh → reused) |");
    println!("|---|---|---|---|---|");
    for c in &configs {
        let (fresh_t, fresh) = run_once(&rt, &scenarios, &plan, c, false);
        let (reuse_t, reused) = run_once(&rt, &scenarios, &plan, c, true);
        assert_eq!(
            outcomes(&fresh),
            outcomes(&reused),
            "{}: verdicts differ with reuse",
            c.label
        );
        let st = reused.sessions.unwrap_or_default();
        let fresh_logins = fresh.sessions.map_or(0, |s| s.logins);
        println!(
            "| {} | {:.2} s | {:.2} s | {:.2}x | {} → {} (+{} reused) |",
            c.label,
            fresh_t.as_secs_f64(),
            reuse_t.as_secs_f64(),
            fresh_t.as_secs_f64() / reuse_t.as_secs_f64(),
            fresh_logins,
            st.logins,
            st.reused
        );
    }
}
