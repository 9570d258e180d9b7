//! The checks against a real redis-server, written once for both adapters: each adapter's
//! `tests/redis.rs` defines `server()`, `tcp(&server)` and `unix(&server)` for its runtime and
//! invokes [`redis_tests!`](crate::redis_tests), which runs each case over TCP and over the Unix
//! socket.

use std::io;

use pipe_core::adapter::{PollRead, PollWrite};
use pipe_core::{ReadError, read_error_of};

use crate::resp::{Client, Value};

/// A value of `len` bytes that holds `\r\n` and every byte value (a deterministic sequence).
pub fn binary_value(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|i| match i % 97 {
            0 => b'\r',
            1 => b'\n',
            _ => {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            }
        })
        .collect()
}

fn bulk(v: &[u8]) -> Value {
    Value::Bulk(bytes::Bytes::copy_from_slice(v))
}

fn ok() -> Value {
    Value::Simple("OK".into())
}

/// SET and GET of values from 0 bytes to 8 MiB, binary with `\r\n` inside: one by one, then
/// all in one pipeline each way; a missing key is `Nil`.
pub async fn set_get_sizes<S: PollRead + PollWrite>(client: &mut Client<S>) -> io::Result<()> {
    let sizes = [
        0,
        1,
        2,
        3,
        100,
        16 * 1024 - 1,
        16 * 1024,
        16 * 1024 + 1,
        64 * 1024,
        1 << 20,
        8 << 20,
    ];
    let values: Vec<Vec<u8>> = sizes.iter().map(|&n| binary_value(n, n as u64)).collect();
    let keys: Vec<String> = sizes.iter().map(|n| format!("size:{n}")).collect();
    for (key, value) in keys.iter().zip(&values) {
        assert_eq!(
            client.command(&[b"SET", key.as_bytes(), value]).await?,
            ok()
        );
        assert_eq!(
            client.command(&[b"GET", key.as_bytes()]).await?,
            bulk(value),
            "GET {key}"
        );
    }
    let sets: Vec<Vec<&[u8]>> = keys
        .iter()
        .zip(&values)
        .map(|(k, v)| vec![&b"SET"[..], k.as_bytes(), &v[..]])
        .collect();
    let sets: Vec<&[&[u8]]> = sets.iter().map(Vec::as_slice).collect();
    assert!(client.pipeline(&sets).await?.iter().all(|r| *r == ok()));
    let gets: Vec<Vec<&[u8]>> = keys
        .iter()
        .map(|k| vec![&b"GET"[..], k.as_bytes()])
        .collect();
    let gets: Vec<&[&[u8]]> = gets.iter().map(Vec::as_slice).collect();
    let replies = client.pipeline(&gets).await?;
    for ((reply, value), key) in replies.iter().zip(&values).zip(&keys) {
        assert_eq!(*reply, bulk(value), "pipelined GET {key}");
    }
    assert_eq!(client.command(&[b"GET", b"no such key"]).await?, Value::Nil);
    Ok(())
}

/// Values that look like RESP themselves come back byte for byte.
pub async fn binary_values<S: PollRead + PollWrite>(client: &mut Client<S>) -> io::Result<()> {
    let tricky: [&[u8]; 6] = [
        b"\r\n",
        b"\r\n\r\n",
        b"$5\r\nhello\r\n",
        b"*2\r\n$1\r\na\r\n:1\r\n",
        b"-ERR not an error\r\n",
        &[0, 255, b'\r', 0, b'\n', b'\r'],
    ];
    for (i, value) in tricky.iter().enumerate() {
        let key = format!("tricky:{i}");
        assert_eq!(
            client.command(&[b"SET", key.as_bytes(), value]).await?,
            ok()
        );
        assert_eq!(
            client.command(&[b"GET", key.as_bytes()]).await?,
            bulk(value)
        );
    }
    Ok(())
}

/// RPUSH of 100,000 elements (pipelined batches), then LRANGE over all of them in one reply.
pub async fn lrange_100k<S: PollRead + PollWrite>(client: &mut Client<S>) -> io::Result<()> {
    const N: usize = 100_000;
    const BATCH: usize = 1_000;
    let items: Vec<Vec<u8>> = (0..N)
        .map(|i| format!("item-{i}\r\n").into_bytes())
        .collect();
    client.command(&[b"DEL", b"list"]).await?;
    let commands: Vec<Vec<&[u8]>> = items
        .chunks(BATCH)
        .map(|batch| {
            let mut args: Vec<&[u8]> = vec![b"RPUSH", b"list"];
            args.extend(batch.iter().map(Vec::as_slice));
            args
        })
        .collect();
    let commands: Vec<&[&[u8]]> = commands.iter().map(Vec::as_slice).collect();
    let replies = client.pipeline(&commands).await?;
    assert_eq!(replies.last(), Some(&Value::Integer(N as i64)));
    let Value::Array(all) = client.command(&[b"LRANGE", b"list", b"0", b"-1"]).await? else {
        panic!("LRANGE did not give an array");
    };
    assert_eq!(all.len(), N);
    for (got, want) in all.iter().zip(&items) {
        assert_eq!(*got, bulk(want));
    }
    // Nested arrays: two LRANGEs in one MULTI/EXEC reply.
    let replies = client
        .pipeline(&[
            &[b"MULTI"],
            &[b"LRANGE", b"list", b"0", b"1"],
            &[b"LRANGE", b"list", b"-1", b"-1"],
            &[b"EXEC"],
        ])
        .await?;
    assert_eq!(
        replies[3],
        Value::Array(vec![
            Value::Array(vec![bulk(&items[0]), bulk(&items[1])]),
            Value::Array(vec![bulk(&items[N - 1])]),
        ])
    );
    Ok(())
}

/// Error replies are values; the connection goes on after them.
pub async fn errors<S: PollRead + PollWrite>(client: &mut Client<S>) -> io::Result<()> {
    assert_eq!(client.command(&[b"SET", b"text", b"abc"]).await?, ok());
    let replies = client
        .pipeline(&[
            &[b"INCR", b"text"],
            &[b"NOSUCHCOMMAND", b"x"],
            &[b"LPUSH", b"text", b"x"],
            &[b"GET"],
            &[b"PING"],
        ])
        .await?;
    let message = |v: &Value| match v {
        Value::Error(e) => String::from_utf8_lossy(e).into_owned(),
        other => panic!("expected an error reply, got {other:?}"),
    };
    assert!(message(&replies[0]).starts_with("ERR value is not an integer"));
    assert!(message(&replies[1]).starts_with("ERR unknown command"));
    assert!(message(&replies[2]).starts_with("WRONGTYPE"));
    assert!(message(&replies[3]).starts_with("ERR wrong number of arguments"));
    assert_eq!(replies[4], Value::Simple("PONG".into()));
    assert_eq!(client.command(&[b"GET", b"text"]).await?, bulk(b"abc"));
    Ok(())
}

/// The server closes the connection while a 64 MiB reply is on its way (another client kills
/// it): the read fails with `UnexpectedEof` after the reply's header was read, and nothing
/// panics or hangs.
pub async fn closed_mid_reply<S: PollRead + PollWrite>(
    victim: &mut Client<S>,
    killer: &mut Client<S>,
) -> io::Result<()> {
    let big = binary_value(64 << 20, 7);
    assert_eq!(killer.command(&[b"SET", b"big", &big]).await?, ok());
    drop(big);
    let Value::Integer(id) = victim.command(&[b"CLIENT", b"ID"]).await? else {
        panic!("CLIENT ID did not give an integer");
    };
    victim.send(&[&[b"GET", b"big"]]).await?;
    // Wait until the reply has begun to arrive (a fixed sleep was not enough on a loaded
    // machine: the kill came before the server wrote anything). More than the socket buffers
    // hold stays queued in the server, so the reply cannot complete before the kill.
    assert!(pipe_core::adapter::fill_more(victim.stream_mut()).await? > 0);
    let id = id.to_string();
    assert_eq!(
        killer
            .command(&[b"CLIENT", b"KILL", b"ID", id.as_bytes()])
            .await?,
        Value::Integer(1)
    );
    let err = victim
        .read_reply()
        .await
        .expect_err("a 64 MiB reply cannot have arrived whole before the kill");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
    // The header line was read and part of the body arrived: the leftover is inside the error.
    match read_error_of(&err) {
        Some(ReadError::Partial(rest)) => {
            assert!(
                !rest.is_empty() && rest.len() < 64 << 20,
                "{} bytes",
                rest.len()
            )
        }
        other => panic!("expected a partial body, got {other:?} ({err})"),
    }
    // The killer's connection is unaffected.
    assert_eq!(
        killer.command(&[b"PING"]).await?,
        Value::Simple("PONG".into())
    );
    Ok(())
}

/// The test functions, one per case, each on a fresh server over TCP and then the Unix socket:
/// `redis_tests!(test attribute)`. The including file brings its adapter's `ChunkedStream` and
/// its runtime's `TcpStream` and `UnixStream` into scope; the macro adds the server and the two
/// connections once.
#[macro_export]
macro_rules! redis_tests {
    ($test:meta) => {
        use $crate::resp::Client;

        fn server() -> $crate::redis::RedisServer {
            $crate::redis::RedisServer::start(&[]).unwrap_or_else(|e| panic!("{e}"))
        }

        async fn tcp(server: &$crate::redis::RedisServer) -> Client<ChunkedStream<TcpStream>> {
            Client::new(ChunkedStream::connect(server.addr()).await.unwrap())
        }

        async fn unix(server: &$crate::redis::RedisServer) -> Client<ChunkedStream<UnixStream>> {
            let stream = ChunkedStream::connect_unix(server.unix_path()).await;
            Client::new(stream.unwrap())
        }

        $crate::redis_tests!(@each $test, set_get_sizes, binary_values, lrange_100k, errors);

        #[$test]
        async fn server_closes_mid_reply() {
            let server = server();
            let (mut victim, mut killer) = (tcp(&server).await, tcp(&server).await);
            $crate::redis_cases::closed_mid_reply(&mut victim, &mut killer)
                .await
                .unwrap();
            let (mut victim, mut killer) = (unix(&server).await, unix(&server).await);
            $crate::redis_cases::closed_mid_reply(&mut victim, &mut killer)
                .await
                .unwrap();
        }
    };
    (@each $test:meta, $($case:ident),*) => {
        $(
            #[$test]
            async fn $case() {
                let server = server();
                $crate::redis_cases::$case(&mut tcp(&server).await).await.unwrap();
                $crate::redis_cases::$case(&mut unix(&server).await).await.unwrap();
            }
        )*
    };
}
