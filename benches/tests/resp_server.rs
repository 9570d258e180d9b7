//! The RESP server example answers as redis-server does: one script of pipelined commands (every
//! command it knows, their errors, inline commands, binary values), sent in fragments of 1 to 7
//! bytes, gets byte-for-byte the replies a real redis-server (started by the test, persistence
//! off) gives, on each of the three readers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use chunkedbuffer_benches::resp_server::{Reader, run};
use pipe_testkit::redis::RedisServer;

/// One command as RESP.
fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

const END: &[u8] = b"$13\r\nend-of-script\r\n";

fn script() -> Vec<u8> {
    let big: Vec<u8> = (0..40_000u32).map(|i| (i % 253) as u8).collect();
    let binary = b"a\r\nb\0c$3\r\n*1".to_vec();
    let mut s = Vec::new();
    let cmds: Vec<Vec<&[u8]>> = vec![
        vec![b"PING"],
        vec![b"ping", b"hello"],
        vec![b"PING", b"a", b"b"],
        vec![b"SET", b"k1", b"v1"],
        vec![b"GET", b"k1"],
        vec![b"GET", b"missing"],
        vec![b"SET", b"bin", &binary],
        vec![b"GET", b"bin"],
        vec![b"SET", b"big", &big],
        vec![b"GET", b"big"],
        vec![b"SET", b"k1"],
        vec![b"SET", b"k1", b"v", b"bogus"],
        vec![b"GET"],
        vec![b"INCR", b"n"],
        vec![b"INCR", b"n"],
        vec![b"incr", b"k1"],
        vec![b"SET", b"max", b"9223372036854775807"],
        vec![b"INCR", b"max"],
        vec![b"LPUSH", b"list", b"a", b"b", b"c"],
        vec![b"LPUSH", b"list", b"d"],
        vec![b"LRANGE", b"list", b"0", b"-1"],
        vec![b"LRANGE", b"list", b"1", b"2"],
        vec![b"LRANGE", b"list", b"-2", b"100"],
        vec![b"LRANGE", b"list", b"5", b"10"],
        vec![b"LRANGE", b"list", b"x", b"1"],
        vec![b"LRANGE", b"nolist", b"0", b"-1"],
        vec![b"GET", b"list"],
        vec![b"INCR", b"list"],
        vec![b"LPUSH", b"k1", b"x"],
        vec![b"LRANGE", b"k1", b"0", b"1"],
        vec![b"DEL", b"k1", b"list", b"nothing"],
        vec![b"DEL"],
        vec![b"GET", b"k1"],
        vec![b"CONFIG", b"GET", b"save"],
        vec![b"CONFIG", b"GET", b"appendonly"],
        vec![b"config", b"get", b"no-such-parameter"],
        vec![b"CONFIG", b"GET"],
        vec![b"NOSUCH", b"x", b"y"],
        vec![b"nosuch"],
    ];
    for c in &cmds {
        s.extend_from_slice(&command(c));
    }
    s.extend_from_slice(b"PING\r\nPING inline-arg\r\n");
    s.extend_from_slice(&command(&[b"PING", b"end-of-script"]));
    s
}

/// Sends `script` in pieces of 1 to `max_piece` bytes and returns every reply byte up to and
/// including the answer to the final PING.
fn replies(addr: SocketAddr, script: &[u8], max_piece: u32) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut reader = s.try_clone().unwrap();
    let got = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        while !got.ends_with(END) {
            let n = reader.read(&mut buf).expect("replies before the timeout");
            assert!(n > 0, "closed early after {} bytes", got.len());
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    let mut at = 0;
    let mut seed = 7u32;
    while at < script.len() {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (1 + (seed >> 8) % max_piece) as usize;
        let end = (at + n).min(script.len());
        s.write_all(&script[at..end]).unwrap();
        at = end;
    }
    got.join().unwrap()
}

/// Pipelined commands with values larger than the pool's largest chunk (1 MiB), which must be
/// parsed across chunks, several in flight.
fn big_script() -> Vec<u8> {
    let mut s = Vec::new();
    for i in 0..3u8 {
        let value = vec![b'a' + i; (1 << 20) + 300_000 * i as usize];
        s.extend_from_slice(&command(&[b"SET", &[b'k', i], &value]));
        s.extend_from_slice(&command(&[b"PING"]));
    }
    for i in 0..3u8 {
        s.extend_from_slice(&command(&[b"GET", &[b'k', i]]));
    }
    s.extend_from_slice(&command(&[b"PING", b"end-of-script"]));
    s
}

#[test]
fn every_reader_answers_as_redis_server_does() {
    check_against_redis(&script(), 7);
}

#[test]
fn commands_larger_than_a_chunk_are_answered_once_each() {
    check_against_redis(&big_script(), 40_000);
}

fn check_against_redis(script: &[u8], max_piece: u32) {
    let redis = RedisServer::start(&[]).unwrap_or_else(|e| panic!("{e}"));
    let want = replies(redis.addr(), script, max_piece);
    for reader in Reader::ALL {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = std::thread::spawn(move || {
            rt.block_on(async move {
                tokio::select! {
                    _ = run(listener, reader) => {}
                    _ = stopped => {}
                }
            })
        });
        let got = replies(addr, script, max_piece);
        let _ = stop.send(());
        server.join().unwrap();
        if got != want {
            let at = got
                .iter()
                .zip(&want)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(want.len()));
            let around = |v: &[u8]| {
                String::from_utf8_lossy(&v[at.saturating_sub(40)..(at + 80).min(v.len())])
                    .into_owned()
            };
            panic!(
                "{reader:?}: replies differ at byte {at}:\n ours:  {:?}\n redis: {:?}",
                around(&got),
                around(&want)
            );
        }
    }
}
