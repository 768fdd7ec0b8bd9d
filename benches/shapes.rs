//! `cargo bench --bench shapes [-- N]`: the metamorphic sweep, longer than
//! the test's eight shapes. N registration shapes (default 40, fixed seed)
//! of the reference fixtures; under each, the suite against the conformant
//! reference (every case must pass or skip with a reason) and against every
//! redirect and loopback fault (which must be caught wherever the shape
//! allows the probe). Prints a per-shape detection row and exits 1 on any
//! unearned verdict. Method in BENCHMARKS.md.

#[path = "../tests/integration/shape_gen.rs"]
mod shape_gen;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use grantcheck::issuer::Fault;
use grantcheck::scenario;

/// One short word per URI kind, for the table.
fn kind(uris: Option<&Vec<String>>) -> String {
    let Some(u) = uris else { return "-".into() };
    let one = |u: &String| match u.split_once("://").map(|(s, _)| s) {
        Some("https") => "https",
        Some("http") if u.contains("127.0.0.1") || u.contains("[::1]") => "loopback",
        Some("http") => "http",
        _ => "custom",
    };
    u.iter().map(one).collect::<Vec<_>>().join("+")
}

fn main() {
    let n: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(40);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let scenarios = Arc::new(scenario::load_dir(Path::new("suites")).expect("suites load"));
    let faults: Vec<Fault> = Fault::for_dialect(grantcheck::issuer::Dialect::Standard)
        .into_iter()
        .filter(|f| f.name().starts_with("redirect_") || f.name().starts_with("loopback_"))
        .collect();
    let start = Instant::now();
    let mut bad = 0;
    println!(
        "{:>3}  {:<10} {:<10} {:<16} {:<10} {:<8} caught",
        "#", "c1", "c2", "p1", "n1", "post"
    );
    for (i, shape) in shape_gen::shapes(n, 29).iter().enumerate() {
        let clean = rt.block_on(shape_gen::run_shaped(&scenarios, shape, &[]));
        let wrong = shape_gen::unearned(&clean);
        bad += wrong.len();
        let caught: Vec<&str> = faults
            .iter()
            .filter(|f| {
                let r = rt.block_on(shape_gen::run_shaped(&scenarios, shape, &[**f]));
                shape_gen::detected(&r)
            })
            .map(|f| f.name())
            .collect();
        let u = |r: &str| {
            if shape.without.contains(r) {
                "-".into()
            } else {
                kind(shape.redirect_uris.get(r))
            }
        };
        let post: Vec<&str> = shape.post_auth.iter().map(String::as_str).collect();
        println!(
            "{i:>3}  {:<10} {:<10} {:<16} {:<10} {:<8} {}/{}{}",
            u("c1"),
            u("c2"),
            u("p1"),
            u("n1"),
            post.join(","),
            caught.len(),
            faults.len(),
            if wrong.is_empty() {
                String::new()
            } else {
                format!("  UNEARNED: {}", wrong.join("; "))
            }
        );
    }
    println!(
        "{n} shapes x {} runs in {:.1} s; unearned verdicts: {bad}",
        faults.len() + 1,
        start.elapsed().as_secs_f64()
    );
    if bad > 0 {
        std::process::exit(1);
    }
}
