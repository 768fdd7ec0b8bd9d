//! How much randomness a sample of credentials can carry (ADV-23, ENT rows).
//!
//! RFC 6749 §10.10 wants codes and tokens that cannot be guessed (RFC 6819
//! §5.1.4.2.2: 128 bits at least, 160 recommended). From outside, only the
//! tokens' shape is visible, so the estimate is an upper bound read from a
//! sample: the alphabet the samples are drawn from, times the positions that
//! vary between samples. It catches short tokens, counters, timestamps and
//! fixed structure (every position that never varies counts nothing); it
//! cannot see a weak random generator behind a long random-looking token.
//! Signed JWTs are not measured: their signature, not their randomness,
//! makes them unguessable (RFC 6749 §10.10 asks that of tokens an attacker
//! could forge by guessing); only a repeat counts against them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The smallest usual alphabets, in order; a sample's alphabet is the first
/// that holds every character seen.
type Alphabet = (&'static str, usize, fn(char) -> bool);

const ALPHABETS: &[Alphabet] = &[
    ("decimal digits", 10, |c| c.is_ascii_digit()),
    ("lower-case hex", 16, |c| {
        c.is_ascii_digit() || ('a'..='f').contains(&c)
    }),
    ("upper-case hex", 16, |c| {
        c.is_ascii_digit() || ('A'..='F').contains(&c)
    }),
    ("lower-case letters and digits", 36, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit()
    }),
    ("upper-case letters and digits", 36, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit()
    }),
    ("letters and digits", 62, |c| c.is_ascii_alphanumeric()),
    ("base64url", 64, |c| {
        c.is_ascii_alphanumeric() || c == '-' || c == '_'
    }),
    ("base64", 65, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')
    }),
    ("printable ASCII", 95, |c| c.is_ascii_graphic() || c == ' '),
];

/// What a sample of credentials shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Upper bound of the randomness per credential, in bits.
    pub bits: f64,
    pub samples: usize,
    /// The shortest sample's length, in characters.
    pub length: usize,
    pub alphabet: &'static str,
    /// Positions (within `length`) where every sample has the same character.
    pub constant: usize,
    /// Samples equal to an earlier one.
    pub duplicates: usize,
    /// Whether the samples were signed JWTs, checked for repeats only.
    pub signed: bool,
}

impl Estimate {
    /// One line for a report: `~256 bits (43 varying base64url characters of 43, 8 samples)`.
    pub fn describe(&self) -> String {
        let dup = match self.duplicates {
            0 => String::new(),
            n => format!(", {n} repeated"),
        };
        if self.signed {
            return format!(
                "signed JWTs, not guessable by their randomness ({} samples{dup})",
                self.samples
            );
        }
        format!(
            "about {:.0} bits ({} varying {} characters of {}, {} samples{dup})",
            self.bits,
            self.length - self.constant,
            self.alphabet,
            self.length,
            self.samples,
        )
    }

    /// Whether the samples meet `bits`: no repeat, and the bound for
    /// anything but signed JWTs.
    pub fn meets(&self, bits: f64) -> bool {
        self.duplicates == 0 && (self.signed || self.bits >= bits)
    }
}

/// The estimate for `samples` (at least two); `Err` names what cannot be
/// measured.
pub fn estimate(samples: &[String]) -> Result<Estimate, String> {
    if samples.len() < 2 {
        return Err(format!(
            "{} sample(s): at least 2 are needed",
            samples.len()
        ));
    }
    let duplicates = (0..samples.len())
        .filter(|&i| samples[..i].contains(&samples[i]))
        .count();
    if samples.iter().all(|s| is_signed_jwt(s)) {
        return Ok(Estimate {
            bits: 0.0,
            samples: samples.len(),
            length: 0,
            alphabet: "JWT",
            constant: 0,
            duplicates,
            signed: true,
        });
    }
    let values = samples.to_vec();
    let chars: Vec<Vec<char>> = values.iter().map(|v| v.chars().collect()).collect();
    let length = chars.iter().map(Vec::len).min().unwrap_or(0);
    let varying: Vec<usize> = (0..length)
        .filter(|&i| chars.iter().any(|c| c[i] != chars[0][i]))
        .collect();
    let constant = length - varying.len();
    // The alphabet of the varying positions: a fixed `.v1` suffix says
    // nothing about what the random part is drawn from.
    let drawn: Vec<String> = chars
        .iter()
        .map(|c| varying.iter().map(|&i| c[i]).collect())
        .collect();
    let (alphabet, size) = alphabet_of(if varying.is_empty() { &values } else { &drawn });
    let bits = match duplicates {
        0 => (length - constant) as f64 * (size as f64).log2(),
        _ => 0.0,
    };
    Ok(Estimate {
        bits,
        samples: values.len(),
        length,
        alphabet,
        constant,
        duplicates,
        signed: false,
    })
}

/// A compact JWS whose header names a real signature algorithm (not `none`).
fn is_signed_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 3 || parts[2].is_empty() {
        return false;
    }
    URL_SAFE_NO_PAD
        .decode(parts[0])
        .ok()
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
        .and_then(|h| {
            h.get("alg")?
                .as_str()
                .map(|a| !a.eq_ignore_ascii_case("none"))
        })
        .unwrap_or(false)
}

fn alphabet_of(values: &[String]) -> (&'static str, usize) {
    let all = |f: fn(char) -> bool| values.iter().all(|v| v.chars().all(f));
    ALPHABETS
        .iter()
        .find(|(_, _, f)| all(*f))
        .map(|(name, size, _)| (*name, *size))
        // Beyond printable ASCII: count each distinct character seen.
        .unwrap_or(("characters seen", {
            let mut seen: Vec<char> = values.iter().flat_map(|v| v.chars()).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len().max(2)
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    fn random_from(alphabet: &[u8], n: usize, seed: &mut u64) -> String {
        (0..n)
            .map(|_| {
                // xorshift: deterministic per proptest case, spread enough.
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                alphabet[(*seed % alphabet.len() as u64) as usize] as char
            })
            .collect()
    }

    proptest! {
        /// Tokens of k random base64url characters between a fixed prefix
        /// and suffix measure k varying characters: between k·log2(62) and
        /// k·6 bits (a sample may happen not to show `-` or `_`).
        #[test]
        fn known_entropy_is_recovered(k in 8usize..64, prefix in "[a-z]{0,12}", seed in 1u64..u64::MAX) {
            let mut s = seed;
            let samples: Vec<String> = (0..8)
                .map(|_| format!("{prefix}{}.v1", random_from(B64URL, k, &mut s)))
                .collect();
            let e = estimate(&samples).unwrap();
            let low = k as f64 * 62f64.log2() - 6.0; // one position may repeat by chance
            prop_assert!(e.bits <= k as f64 * 6.0 + 1e-9, "{e:?}");
            prop_assert!(e.bits >= low, "{e:?}");
            prop_assert_eq!(e.duplicates, 0);
        }

        /// A counter, however long, carries only the positions it changes.
        #[test]
        fn counters_measure_low(start in 0u64..1_000_000_000, width in 12usize..40) {
            let samples: Vec<String> = (0..8).map(|i| format!("{:0width$}", start + i, width = width)).collect();
            let e = estimate(&samples).unwrap();
            prop_assert!(e.bits < 40.0, "{e:?}");
        }
    }

    #[test]
    fn repeated_samples_carry_nothing() {
        let s = vec!["abc".to_string(), "abd".into(), "abc".into()];
        let e = estimate(&s).unwrap();
        assert_eq!((e.bits, e.duplicates), (0.0, 1));
    }

    #[test]
    fn signed_jwts_count_only_repeats() {
        let jwt = |jti: &str| {
            let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"at+jwt"}"#);
            let p = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"u","jti":"{jti}"}}"#));
            format!("{h}.{p}.c2ln")
        };
        let samples = vec![jwt("0001"), jwt("0002"), jwt("0003")];
        let e = estimate(&samples).unwrap();
        assert!(e.signed && e.meets(128.0), "{e:?}");
        let repeated = vec![jwt("0001"), jwt("0001")];
        assert!(!estimate(&repeated).unwrap().meets(128.0));
        // alg none is no signature: measured like any string.
        let none = |n: &str| format!("{}.{n}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#));
        let e = estimate(&[none("MQ"), none("Mg")]).unwrap();
        assert!(!e.signed && !e.meets(128.0), "{e:?}");
    }

    #[test]
    fn too_few_samples_are_refused() {
        assert!(estimate(&["x".to_string()]).is_err());
    }
}
