//! `cargo bench --bench run`: times the single default run and the full
//! self-test matrix in process, and says what dominates. Method and results
//! in BENCHMARKS.md. Ratios measured in one run are what to compare: these
//! machines are shared and noisy.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use grantcheck::issuer::{Dialect, Fault};
use grantcheck::run::{self, reference, Selection};
use grantcheck::scenario;
use grantcheck::selftest;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes `--bench`; an argument that is a number sets the repetitions.
    let reps: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let scenarios = Arc::new(scenario::load_dir(Path::new("suites")).expect("suites load"));
    let plan = run::select(&scenarios, &Selection::default()).expect("plan");
    let cases = plan.len();

    // Warm-up: the RSA signing key is generated once per process (~100 ms
    // or more in a debug build); it is not part of either measurement.
    rt.block_on(async {
        let r = reference::start(&BTreeSet::new()).await.expect("start");
        r.issuer.shutdown().await;
    });

    let single = |concurrency: usize| {
        let mut times = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            rt.block_on(async {
                let r = reference::start(&BTreeSet::new()).await.expect("start");
                let report = run::execute(
                    scenarios.clone(),
                    plan.clone(),
                    Arc::new(r.target),
                    concurrency,
                    |_| {},
                )
                .await;
                assert_eq!(report.summary.pass, cases, "the reference passes");
                r.issuer.shutdown().await;
            });
            times.push(t.elapsed());
        }
        median(times)
    };
    let matrix = |jobs: usize| {
        let mut times = Vec::new();
        let mut slowest = Vec::new();
        for _ in 0..reps.div_ceil(2) {
            let t = Instant::now();
            let m = rt
                .block_on(selftest::run(
                    scenarios.clone(),
                    plan.clone(),
                    &Fault::for_dialect(Dialect::Standard),
                    selftest::Options {
                        jobs,
                        ..Default::default()
                    },
                    |_| {},
                ))
                .expect("selftest");
            assert!(m.problems().is_empty(), "the matrix is clean");
            times.push(t.elapsed());
            slowest = m
                .faults
                .iter()
                .map(|f| (f.duration_ms, f.spec.name.clone()))
                .collect();
        }
        slowest.sort_by(|a, b| b.cmp(a));
        slowest.truncate(5);
        (median(times), slowest)
    };

    println!(
        "grantcheck bench: {cases} cases, {} faults, median of {reps} (matrix: {})\n",
        Fault::for_dialect(Dialect::Standard).len(),
        reps.div_ceil(2)
    );
    let s1 = single(1);
    let s8 = single(8);
    println!("single default run, concurrency 1   {:>9}", ms(s1));
    println!("single default run, concurrency 8   {:>9}", ms(s8));
    let (m1, _) = matrix(1);
    let (m4, slow) = matrix(4);
    println!("selftest matrix, 1 run at a time    {:>9}", ms(m1));
    println!("selftest matrix, 4 runs at a time   {:>9}", ms(m4));
    println!();
    println!(
        "matrix / single run (both default)   {:.1}x for {} runs",
        m4.as_secs_f64() / s8.as_secs_f64(),
        Fault::for_dialect(Dialect::Standard).len() + 1
    );
    println!(
        "parallel speed-up of the matrix      {:.2}x",
        m1.as_secs_f64() / m4.as_secs_f64()
    );
    println!("\nslowest fault runs (ms, last matrix):");
    for (d, name) in slow {
        println!("  {d:>6}  {name}");
    }
}
