//! The front's checks one by one, then over real sockets: what jsonrpsee answered badly is
//! answered here, and stalled requests neither hold their slots for ever nor keep another
//! client out.

use super::*;
use jsonrpsee::RpcModule;
use tokio::io::AsyncReadExt;
use tokio::net::TcpSocket;

#[test]
fn ids_jsonrpsee_cannot_echo_are_invalid_requests() {
    for id in ["-1", "1.5", "18446744073709551616", "true", "{}", "[]"] {
        let call = format!(r#"{{"jsonrpc":"2.0","method":"m","id":{id}}}"#);
        let err = check_call(call.as_bytes(), 10).expect_err(id);
        assert_eq!(err.error.map(|e| e.0), Some(INVALID_REQUEST), "{id}");
    }
    for id in ["0", "18446744073709551615", "\"x\"", "null"] {
        let call = format!(r#"{{"jsonrpc":"2.0","method":"m","id":{id}}}"#);
        assert!(check_call(call.as_bytes(), 10).is_ok(), "{id}");
    }
    // A notification has no id.
    assert!(check_call(br#"{"jsonrpc":"2.0","method":"m"}"#, 10).is_ok());
}

#[test]
fn not_utf8_or_not_json_is_a_parse_error_and_big_batches_are_refused() {
    let code = |b: &[u8]| check_call(b, 10).unwrap_err().error.map(|e| e.0);
    assert_eq!(code(b"\xff\xfe"), Some(PARSE_ERROR));
    assert_eq!(code(b"{\"jsonrpc\":"), Some(PARSE_ERROR));
    let batch = format!(
        "[{}]",
        [r#"{"jsonrpc":"2.0","method":"m","id":1}"#; 11].join(",")
    );
    assert!(check_call(batch.as_bytes(), 10).is_err());
    assert!(check_call(batch.as_bytes(), 11).is_ok());
}

#[test]
fn slots_are_counted_per_client_and_in_all() {
    let limits = Limits {
        max_connections: 3,
        per_client: 2,
        ..Limits::default()
    };
    let slots = Slots::default();
    let a = network("127.0.0.1".parse().unwrap());
    let b = network("127.0.1.2".parse().unwrap());
    let a1 = slots.take(a, &limits).unwrap();
    let _a2 = slots.take(a, &limits).unwrap();
    assert!(slots.take(a, &limits).is_none(), "per client");
    let _b1 = slots.take(b, &limits).unwrap();
    assert!(slots.take(b, &limits).is_none(), "in all");
    drop(a1);
    assert!(
        slots.take(b, &limits).is_some(),
        "a slot given back is free again"
    );
}

/// A server with two methods (`ping`; `big`, a 24 MiB answer) behind `limits`.
async fn server(limits: Limits) -> (SocketAddr, ServerHandle) {
    let mut m = RpcModule::new(());
    m.register_method("ping", |_, _, _| "pong").unwrap();
    m.register_method("big", |_, _, _| "x".repeat(24 << 20))
        .unwrap();
    let config = ServerConfig::builder()
        .max_response_body_size(64 << 20)
        .build();
    start("127.0.0.1:0".parse().unwrap(), m, config, limits)
        .await
        .unwrap()
}

/// A connection to `addr` from the loopback address `from` (127.0.0.1, 127.0.1.2, …: clients
/// of other networks as the front sees them).
async fn connect(addr: SocketAddr, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Sends `request` whole and reads the answer until the server closes (or 5 s pass).
async fn exchange(mut s: TcpStream, request: &[u8]) -> String {
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn post(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A connection from `from` that declares a body of `declared` bytes, sends `sent` of them,
/// and stalls.
async fn stall_body(addr: SocketAddr, from: &str, declared: usize, sent: usize) -> TcpStream {
    let mut s = connect(addr, from).await;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&vec![b' '; sent]).await.unwrap();
    s
}

const PING: &[u8] = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

#[tokio::test]
async fn bad_requests_get_the_json_rpc_answer_on_the_wire() {
    let limits = Limits {
        max_body: 1_024,
        max_batch: 4,
        ..Limits::default()
    };
    let (addr, _h) = server(limits).await;
    let ok = exchange(connect(addr, "127.0.0.1").await, &post(PING)).await;
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.contains("pong"),
        "{ok}"
    );
    let not_utf8 = exchange(connect(addr, "127.0.0.1").await, &post(b"\xff\xfe")).await;
    assert!(not_utf8.contains("-32700"), "{not_utf8}");
    for id in ["-1", "1.5", "18446744073709551616", "true", "{}", "[]"] {
        let call = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
        let out = exchange(connect(addr, "127.0.0.1").await, &post(call.as_bytes())).await;
        assert!(
            out.starts_with("HTTP/1.1 200") && out.contains("-32600"),
            "{id}: {out}"
        );
    }
    let batch = format!("[{}]", [std::str::from_utf8(PING).unwrap(); 5].join(","));
    let out = exchange(connect(addr, "127.0.0.1").await, &post(batch.as_bytes())).await;
    assert!(out.contains("-32600") && out.contains("at most 4"), "{out}");
    // A chunked body over the cap is refused like a declared one: 413, not a 500.
    let mut chunked = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(format!("200\r\n{}\r\n", " ".repeat(512)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let out = exchange(connect(addr, "127.0.0.1").await, &chunked).await;
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
}

#[tokio::test]
async fn stalled_requests_free_their_slots_and_keep_no_other_client_out() {
    let limits = Limits {
        max_connections: 64,
        per_client: 4,
        header_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let (addr, _h) = server(limits).await;
    // One address holds all its slots with requests that stop after a byte of body.
    let mut stalled = Vec::new();
    for _ in 0..4 {
        stalled.push(stall_body(addr, "127.0.0.1", 100, 1).await);
    }
    // Let the server take them all before the next connects.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = exchange(connect(addr, "127.0.0.1").await, &post(PING)).await;
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    // Another client is served meanwhile.
    let other = exchange(connect(addr, "127.0.1.2").await, &post(PING)).await;
    assert!(other.contains("pong"), "{other}");
    // Past the body deadline each stalled request is answered 408, and its slot is free.
    for s in stalled {
        let mut s = s;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        let out = String::from_utf8_lossy(&out);
        assert!(out.starts_with("HTTP/1.1 408"), "{out}");
    }
    let again = exchange(connect(addr, "127.0.0.1").await, &post(PING)).await;
    assert!(again.contains("pong"), "{again}");
    // Headers that never end are cut off too.
    let mut slow = connect(addr, "127.0.0.1").await;
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server closed the connection");
}

#[test]
fn clients_count_by_network() {
    let net = |s: &str| network(s.parse().unwrap());
    assert_eq!(net("10.1.2.3"), net("10.1.2.200"), "one IPv4 /24");
    assert_ne!(net("10.1.2.3"), net("10.1.3.3"));
    assert_eq!(
        net("::ffff:10.1.2.3"),
        net("10.1.2.9"),
        "IPv4 mapped into IPv6"
    );
    assert_eq!(
        net("2001:db8:0:aa::1"),
        net("2001:db8:0:bb::2"),
        "one IPv6 /56"
    );
    assert_ne!(net("2001:db8:0:aa::1"), net("2001:db8:1:aa::1"));
}

#[tokio::test]
async fn silent_idle_and_http2_connections_are_closed() {
    let limits = Limits {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let (addr, _h) = server(limits).await;
    // Connected, never a byte: closed once the idle deadline passes.
    let mut silent = connect(addr, "127.0.0.1").await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "a silent connection is closed");
    // Served once, then idle: closed too.
    let mut kept = connect(addr, "127.0.0.1").await;
    let keep_alive = String::from_utf8(post(PING))
        .unwrap()
        .replace("Connection: close", "Connection: keep-alive");
    kept.write_all(keep_alive.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), kept.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "an idle keep-alive connection is closed");
    assert!(String::from_utf8_lossy(&out).contains("pong"));
    // HTTP/2 (prior knowledge): not spoken, the connection is closed at once.
    let h2 = exchange(
        connect(addr, "127.0.0.1").await,
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
    )
    .await;
    assert!(!h2.contains("pong"), "{h2}");
}

#[tokio::test]
async fn a_declared_body_over_the_cap_is_refused_at_once() {
    let limits = Limits {
        max_body: 1_024,
        body_timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    let (addr, _h) = server(limits).await;
    let mut s = stall_body(addr, "127.0.0.1", 5_000, 1).await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "answered before the body deadline");
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 413"));
}

#[tokio::test]
async fn bodies_wait_for_room_in_the_shared_budget() {
    let limits = Limits {
        max_body: 4 * 1024,
        body_budget: 4 * 1024,
        body_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let (addr, _h) = server(limits).await;
    // One client holds the whole budget with a body it never finishes…
    let _hog = stall_body(addr, "127.0.0.1", 4_096, 4_000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // …so another waits, and is answered once the hog's deadline gives the room back.
    let t = std::time::Instant::now();
    let other = exchange(connect(addr, "127.0.1.2").await, &post(PING)).await;
    assert!(other.contains("pong"), "{other}");
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "it waited for room"
    );
}

#[tokio::test]
async fn one_network_over_its_share_waits_and_another_is_served_at_once() {
    let limits = Limits {
        max_body: 4 * 1024,
        // A 64th of it is one body: one network's share.
        body_budget: 64 * 4 * 1024,
        body_timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let (addr, _h) = server(limits).await;
    let _hog = stall_body(addr, "127.0.0.1", 4_096, 0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = std::time::Instant::now();
    let other = exchange(connect(addr, "127.0.1.2").await, &post(PING)).await;
    assert!(other.contains("pong"), "{other}");
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "another network does not wait"
    );
    let t = std::time::Instant::now();
    let same = exchange(connect(addr, "127.0.0.1").await, &post(PING)).await;
    assert!(same.contains("pong"), "{same}");
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "the hog's network waits for its share"
    );
}

#[tokio::test]
async fn answers_nobody_reads_hold_the_budget_and_the_rest_get_503() {
    let limits = Limits {
        max_body: 4 * 1024,
        body_budget: 32 << 20,
        header_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let (addr, _h) = server(limits).await;
    // Asks for 24 MiB and never reads (more than the kernel's buffers take): the answer
    // holds 24 of the 32 MiB until written.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut reader = socket.connect(addr).await.unwrap();
    reader
        .write_all(&post(br#"{"jsonrpc":"2.0","id":1,"method":"big"}"#))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = exchange(
        connect(addr, "127.0.1.2").await,
        &post(br#"{"jsonrpc":"2.0","id":2,"method":"big"}"#),
    )
    .await;
    assert!(
        refused.starts_with("HTTP/1.1 503"),
        "{}",
        &refused[..refused.len().min(200)]
    );
    // Small answers still fit, and once read the big one gives its room back.
    let small = exchange(connect(addr, "127.0.1.2").await, &post(PING)).await;
    assert!(small.contains("pong"), "{small}");
    let mut all = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut all)).await;
    assert!(all.len() > 24 << 20, "the reader got its answer");
    let again = exchange(
        connect(addr, "127.0.1.2").await,
        &post(br#"{"jsonrpc":"2.0","id":3,"method":"big"}"#),
    )
    .await;
    assert!(
        again.starts_with("HTTP/1.1 200"),
        "{}",
        &again[..again.len().min(200)]
    );
}

#[tokio::test]
async fn headers_over_16_kib_are_refused() {
    let (addr, _h) = server(Limits::default()).await;
    let mut request = b"POST / HTTP/1.1\r\nHost: x\r\nX-Pad: ".to_vec();
    request.extend(std::iter::repeat_n(b'a', 20 * 1024));
    request.extend_from_slice(b"\r\n\r\n");
    let out = exchange(connect(addr, "127.0.0.1").await, &request).await;
    assert!(out.starts_with("HTTP/1.1 431") || out.is_empty(), "{out}");
}
