//! Where inputs come from: every flow each client of the profile can run,
//! unmutated (the seeds), then random protocol-aware mutations stacked on
//! seeds and on corpus entries that showed new behaviour.

use super::grammar::{self, PARAM_OPS};
use super::input::{Flow, Input, Mutation, Op};
use super::rng::Rng;
use super::surface::Surface;

/// At most this many mutations on one input: findings stay explainable.
pub const MAX_MUTATIONS: usize = 3;

/// Every flow each client can run, unmutated, in a fixed order.
pub fn seeds(s: &Surface) -> Vec<Input> {
    let mut out = Vec::new();
    if s.offers("discovery") {
        if let Some(c) = s.clients.first() {
            out.push(Input {
                flow: Flow::Metadata,
                client: c.role.clone(),
                user: None,
                mutations: Vec::new(),
            });
        }
    }
    for c in &s.clients {
        for flow in grammar::flows_for(c, s) {
            out.push(Input {
                flow,
                client: c.role.clone(),
                user: match flow {
                    Flow::Credentials | Flow::Metadata => None,
                    _ => s.first_user().map(str::to_string),
                },
                mutations: Vec::new(),
            });
        }
    }
    out
}

/// The deterministic stage, before any random stacking: every single
/// mutation of every seed, each operation with each of its choices once
/// (every URI operation, every other method, ...). Clients of the same
/// shape share it: one confidential Basic client stands for all of them.
pub fn singles(s: &Surface, seeds: &[Input]) -> Vec<Input> {
    let mut seen = std::collections::BTreeSet::new();
    let mut groups: Vec<Vec<Input>> = Vec::new();
    for seed in seeds {
        let Some(c) = s.client(&seed.client) else {
            continue;
        };
        let shape = (
            seed.flow,
            c.confidential,
            c.basic,
            c.loopback,
            c.redirect_uris.min(2),
            c.openid,
        );
        if !seen.insert(shape) {
            continue;
        }
        let one = |m: Mutation| Input {
            mutations: vec![m],
            ..seed.clone()
        };
        let mut group = Vec::new();
        let params = grammar::params(seed.flow, c);
        let on_param = |p: &grammar::Param, op: Op, arg: usize| Mutation {
            op,
            param: Some(p.name.to_string()),
            arg: arg as u32,
        };
        for p in &params {
            for op in PARAM_OPS {
                group.push(one(on_param(p, *op, 0)));
            }
        }
        for op in grammar::request_ops(seed.flow, c, s) {
            for arg in 0..choices(op) {
                group.push(one(Mutation {
                    op,
                    param: None,
                    arg: arg as u32,
                }));
            }
        }
        // The other choices of parameter operations (every `overlong`
        // length) last: a small budget still reaches every request
        // operation (a replay, a race) first.
        for p in &params {
            for op in PARAM_OPS {
                for arg in 1..choices(*op) {
                    group.push(one(on_param(p, *op, arg)));
                }
            }
        }
        groups.push(group);
    }
    interleave(groups)
}

/// The stage's order, so that any prefix of it (a small `--max-cases`)
/// tries as many different mutations as it can: first every mutation that
/// no earlier client shape tried (the flows in turn), then the repeats
/// under other shapes.
fn interleave(groups: Vec<Vec<Input>>) -> Vec<Input> {
    let mut seen: std::collections::BTreeMap<(Flow, Mutation), usize> = Default::default();
    let mut keyed = Vec::new();
    for (g, group) in groups.into_iter().enumerate() {
        for (pos, input) in group.into_iter().enumerate() {
            let occurrence = seen
                .entry((input.flow, input.mutations[0].clone()))
                .or_insert(0);
            keyed.push(((*occurrence, pos, g), input));
            *occurrence += 1;
        }
    }
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// How many distinct variants an operation's argument selects.
fn choices(op: Op) -> usize {
    match op {
        Op::Uri => crate::scenario::uri_op::UriOp::NAMES.len(),
        Op::ChallengeMethod => grammar::METHODS.len(),
        Op::ResponseType => grammar::RESPONSE_TYPES.len(),
        Op::ContentType => grammar::CONTENT_TYPES.len(),
        Op::VerifierSyntax => grammar::BAD_VERIFIERS.len(),
        Op::VerifierBounds => grammar::EDGE_VERIFIERS.len(),
        // Every length: 129 passes a 128-character limit, 8192 most buffers.
        Op::Overlong => grammar::OVERLONG.len(),
        _ => 1,
    }
}

/// A random mutation that applies to `input`'s flow and client, other than
/// those it already carries.
pub fn mutation(rng: &mut Rng, input: &Input, s: &Surface) -> Option<Mutation> {
    let client = s.client(&input.client)?;
    let params = grammar::params(input.flow, client);
    let requests = grammar::request_ops(input.flow, client, s);
    for _ in 0..8 {
        let arg = rng.next_u64() as u32 % 1024;
        let m = match (params.is_empty(), rng.chance(55)) {
            (false, true) => Mutation {
                op: *rng.pick(PARAM_OPS)?,
                param: Some(rng.pick(&params)?.name.to_string()),
                arg,
            },
            _ => Mutation {
                op: *rng.pick(&requests)?,
                param: None,
                arg,
            },
        };
        // One mutation per thing edited (grammar::touches), and one
        // sequence (a replay, a race) per input.
        let edited = grammar::touches(&m);
        let clash = input
            .mutations
            .iter()
            .any(|x| grammar::touches(x) == edited);
        if !clash {
            return Some(m);
        }
    }
    None
}

/// The next input: a mutation of a seed or of a corpus entry (entries
/// with fewer mutations preferred). None only when no base takes another
/// mutation after several draws.
pub fn next(rng: &mut Rng, seeds: &[Input], corpus: &[Input], s: &Surface) -> Option<Input> {
    for _ in 0..16 {
        let mut input = base(rng, seeds, corpus)?;
        if input.mutations.len() >= MAX_MUTATIONS {
            let i = rng.below(input.mutations.len());
            input.mutations.remove(i);
        }
        if let Some(m) = mutation(rng, &input, s) {
            input.mutations.push(m);
            return Some(input);
        }
    }
    None
}

fn base(rng: &mut Rng, seeds: &[Input], corpus: &[Input]) -> Option<Input> {
    if corpus.is_empty() || rng.chance(40) {
        return rng.pick(seeds).cloned();
    }
    // Two draws, keep the shorter: a bias toward simple parents.
    let a = rng.pick(corpus)?;
    let b = rng.pick(corpus)?;
    Some(
        if a.mutations.len() <= b.mutations.len() {
            a
        } else {
            b
        }
        .clone(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::campaign::surface::ClientShape;

    pub(crate) fn surface() -> Surface {
        let c = |role: &str, confidential: bool, basic: bool, cc: bool| ClientShape {
            role: role.into(),
            confidential,
            basic,
            code: !cc,
            refresh: !cc,
            client_credentials: cc,
            redirect_uris: if cc { 0 } else { 1 },
            loopback: false,
            oauth21_only: false,
            wider_scope: Some("api:write".into()),
            openid: true,
        };
        Surface {
            clients: vec![
                c("a1", true, true, false),
                c("b2", true, false, false),
                c("p9", false, false, false),
                c("s3", true, true, true),
            ],
            users: vec!["v1".into()],
            capabilities: [
                "introspection",
                "revocation",
                "userinfo",
                "oidc",
                "iss",
                "login",
                "discovery",
                "jwks",
                "request_unsupported",
            ]
            .iter()
            .map(|x| x.to_string())
            .collect(),
            policies: ["rfc6749"].iter().map(|x| x.to_string()).collect(),
        }
    }

    #[test]
    fn seeds_cover_every_flow_the_profile_allows() {
        let seeds = seeds(&surface());
        for f in Flow::ALL {
            assert!(seeds.iter().any(|s| s.flow == f), "{f:?}");
        }
        assert_eq!(seeds.iter().filter(|s| s.flow == Flow::Metadata).count(), 1);
        assert!(seeds.iter().all(|s| s.mutations.is_empty()));
        assert!(seeds
            .iter()
            .filter(|s| s.client == "s3")
            .all(|s| s.flow == Flow::Credentials));
    }

    #[test]
    fn singles_try_every_operation_once_per_client_shape() {
        let s = surface();
        let seeds = seeds(&s);
        let singles = singles(&s, &seeds);
        assert!(singles.iter().all(|i| i.mutations.len() == 1));
        let uri_ops = crate::scenario::uri_op::UriOp::NAMES.len();
        let uris = singles
            .iter()
            .filter(|i| i.mutations[0].op == Op::Uri)
            .count();
        // a1 and b2 differ in shape (Basic or not), p9 is public.
        assert_eq!(uris, 3 * uri_ops);
        assert!(singles
            .iter()
            .any(|i| i.flow == Flow::Userinfo && i.mutations[0].op == Op::NoToken));
    }

    #[test]
    fn mutations_stay_within_bounds_and_never_repeat() {
        let s = surface();
        let seeds = seeds(&s);
        let mut rng = Rng::new(42);
        let mut corpus = Vec::new();
        for _ in 0..2000 {
            let i = next(&mut rng, &seeds, &corpus, &s).unwrap();
            assert!(!i.mutations.is_empty() && i.mutations.len() <= MAX_MUTATIONS);
            for (a, m) in i.mutations.iter().enumerate() {
                assert!(
                    !i.mutations[..a]
                        .iter()
                        .any(|x| grammar::touches(x) == grammar::touches(m)),
                    "{}",
                    i.label()
                );
                assert!(
                    m.param.is_none() || !i.mutations[..a].iter().any(|x| x.param == m.param),
                    "{}",
                    i.label()
                );
            }
            if rng.chance(10) {
                corpus.push(i);
            }
        }
    }
}
