//! The first record a server answers a probe ClientHello with
//! (`protocol::tls_hello`): any bytes at all may come back.

use crate::protocol::tls_hello::{self, Reply};

/// `parse_reply` never panics, only a ServerHello record counts as
/// acceptance, and a hello built around any host stays well framed.
pub fn check_tls_reply(data: &[u8]) {
    let reply = tls_hello::parse_reply(data);
    assert!(!reply.describe().is_empty());
    // Acceptance needs a handshake record holding a ServerHello (warning
    // alerts may come first): at least a record and a hello's fixed part.
    if let Reply::Accepted { .. } = reply {
        assert!(
            data.contains(&0x16),
            "acceptance without a handshake record"
        );
        assert!(
            data.len() >= 5 + 4 + 35 + 2,
            "acceptance from too few bytes"
        );
    }
    // A decision from a prefix stands: more bytes never change it.
    for cut in [data.len() / 2, data.len().saturating_sub(1)] {
        if let Some(early) = tls_hello::read_reply(&data[..cut]) {
            let late = tls_hello::read_reply(data).expect("a decision stands");
            let same = std::mem::discriminant(&early) == std::mem::discriminant(&late);
            assert!(same, "decided {early:?} at {cut}, {late:?} at the end");
        }
    }
    let host = String::from_utf8_lossy(data);
    for offer in tls_hello::ALL_OFFERS {
        let hello = tls_hello::client_hello(offer, Some(&host), [0; 32]);
        let framed = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
        assert_eq!(framed, hello.len() - 5, "record length");
    }
}
