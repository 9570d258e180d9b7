//! pipe-async-std on real loopback sockets under async-std: reads, writes, halves, end of
//! stream, resets, cancel safety, idle memory and bounded memory.

use std::io;
use std::time::Duration;

use async_std::net::{TcpListener, TcpStream};
use async_std::os::unix::net::{UnixListener, UnixStream};
use bytes::Bytes;
use futures_util::future::{Either, select};
use futures_util::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use futures_util::{StreamExt, pin_mut};
use pipe_async_std::{ChunkedStream, PipeOptions, Pool, PoolConfig, ReadError, read_error_of};

fn options(pool: &Pool, max_frame: usize) -> PipeOptions {
    PipeOptions::new().pool(pool.clone()).max_frame(max_frame)
}

async fn tcp_pair(opts: PipeOptions) -> (TcpStream, ChunkedStream<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = async_std::task::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = ChunkedStream::accept(&listener, opts).await.unwrap();
    (client.await, server)
}

/// A line read raced against a short timer: `None` when the timer won (the read was dropped).
async fn line_or_timeout<S: futures_io::AsyncRead + Unpin>(
    s: &mut ChunkedStream<S>,
    micros: u64,
) -> Option<io::Result<Option<Bytes>>> {
    let read = s.read_line(true);
    let timer = async_std::task::sleep(Duration::from_micros(micros));
    pin_mut!(read, timer);
    match select(read, timer).await {
        Either::Left((r, _)) => Some(r),
        Either::Right(_) => None,
    }
}

#[async_std::test]
async fn tcp_connect_read_frames_and_write_back() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async_std::task::spawn(async move {
        let (mut s, peer) = ChunkedStream::accept(&listener, PipeOptions::default())
            .await
            .unwrap();
        assert_eq!(s.peer_addr().unwrap(), peer);
        assert_eq!(s.read_line(false).await.unwrap().unwrap(), "HELLO");
        assert_eq!(s.read_until(b"--", true).await.unwrap().unwrap(), "a--");
        assert_eq!(s.read_exact(4).await.unwrap().unwrap(), "body");
        assert_eq!(s.peek(1).await.unwrap().unwrap(), "x");
        assert_eq!(s.read_at_most(3).await.unwrap().unwrap(), "xyz");
        let mut bufs = [io::IoSlice::new(b"one "), io::IoSlice::new(b"two\n")];
        s.write_vectored_all(&mut &mut bufs[..]).await.unwrap();
        s.flush().await.unwrap();
        assert_eq!(s.read_to_end().await.unwrap(), "tail");
        assert_eq!(s.read_line(true).await.unwrap(), None);
        s.close().await.unwrap();
    });
    let mut c = ChunkedStream::connect(addr).await.unwrap();
    assert!(c.get_ref().nodelay().unwrap());
    c.write_all(b"HELLO\r\na--bodyxyz").await.unwrap();
    assert_eq!(c.read_line(true).await.unwrap().unwrap(), "one two\n");
    c.write_all(b"tail").await.unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(c.read_line(true).await.unwrap(), None);
    server.await;
}

#[async_std::test]
async fn unix_sockets_work_the_same() {
    let dir = std::env::temp_dir().join(format!("pipe-async-std-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("unix.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).await.unwrap();
    let server = async_std::task::spawn(async move {
        let (mut s, _) = ChunkedStream::accept_unix(&listener, PipeOptions::default())
            .await
            .unwrap();
        s.peer_addr().unwrap();
        let mut got = Vec::new();
        while let Some(line) = s.read_line(false).await.unwrap() {
            got.push(line);
        }
        got
    });
    let mut c = ChunkedStream::connect_unix(&path).await.unwrap();
    c.write_all(b"a\nbb\nccc\n").await.unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(server.await, ["a", "bb", "ccc"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[async_std::test]
async fn eof_mid_line_gives_the_leftover_then_the_end() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (mut client, mut s) = tcp_pair(options(&pool, 1 << 16)).await;
    client.write_all(b"whole\nhalf a li").await.unwrap();
    drop(client);
    assert_eq!(s.read_line(true).await.unwrap().unwrap(), "whole\n");
    let err = s.read_line(true).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "half a li"));
    assert_eq!(s.read_line(true).await.unwrap(), None);
    drop((s, err));
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[async_std::test]
async fn eof_mid_line_on_unix_sockets() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let mut s = ChunkedStream::new(b);
    a.write_all(b"no newline").await.unwrap();
    drop(a);
    let err = s.read_line(false).await.unwrap_err();
    assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "no newline"));
}

#[async_std::test]
async fn a_peer_reset_is_an_error_every_time() {
    let (mut client, mut s) = tcp_pair(PipeOptions::default()).await;
    client.write_all(b"line\n").await.unwrap();
    assert_eq!(s.read_line(false).await.unwrap().unwrap(), "line");
    // A socket closed with unread bytes in its receive queue answers with a reset (RST).
    s.write_all(b"never read").await.unwrap();
    async_std::task::sleep(Duration::from_millis(50)).await;
    drop(client);
    let first = s.read_line(false).await.unwrap_err();
    assert_eq!(first.kind(), io::ErrorKind::ConnectionReset, "{first:?}");
    assert_eq!(s.read_line(false).await.unwrap_err().kind(), first.kind());
}

#[async_std::test]
async fn halves_read_and_write_from_two_tasks() {
    let (client, s) = tcp_pair(PipeOptions::default()).await;
    let (mut reader, mut writer) = s.into_split();
    let echo = async_std::task::spawn(async move {
        let mut n = 0;
        while let Some(line) = reader.read_line(true).await.unwrap() {
            writer.write_all(&line).await.unwrap();
            n += 1;
        }
        writer.shutdown().await.unwrap();
        n
    });
    let (mut cr, mut cw) = ChunkedStream::new(client).into_split();
    let send = async_std::task::spawn(async move {
        for i in 0..1000 {
            cw.write_all(format!("line {i}\n").as_bytes())
                .await
                .unwrap();
        }
        cw.shutdown().await.unwrap();
    });
    let mut got = 0;
    while let Some(line) = cr.read_line(false).await.unwrap() {
        assert_eq!(line, format!("line {got}"));
        got += 1;
    }
    send.await;
    assert_eq!(echo.await, 1000);
    assert_eq!(got, 1000);
}

#[async_std::test]
async fn split_halves_of_any_transport() {
    let (client, s) = tcp_pair(PipeOptions::default()).await;
    let (mut r, mut w) = s.split();
    let mut client = ChunkedStream::new(client);
    client.write_all(b"ping\n").await.unwrap();
    assert_eq!(r.read_line(false).await.unwrap().unwrap(), "ping");
    w.write_all(b"pong\n").await.unwrap();
    assert_eq!(client.read_line(false).await.unwrap().unwrap(), "pong");
}

#[async_std::test]
async fn it_drops_in_where_bufreader_was() {
    let (mut client, mut s) = tcp_pair(PipeOptions::default()).await;
    client.write_all(b"key: value\nrest of it").await.unwrap();
    drop(client);
    let mut line = Vec::new();
    AsyncBufReadExt::read_until(&mut s, b'\n', &mut line)
        .await
        .unwrap();
    assert_eq!(line, b"key: value\n");
    let mut rest = String::new();
    AsyncReadExt::read_to_string(&mut s, &mut rest)
        .await
        .unwrap();
    assert_eq!(rest, "rest of it");
}

#[async_std::test]
async fn the_lines_stream_yields_every_line() {
    let (mut client, s) = tcp_pair(PipeOptions::default()).await;
    let writer = async_std::task::spawn(async move {
        for i in 0..500 {
            client
                .write_all(format!("{i}\r\n").as_bytes())
                .await
                .unwrap();
        }
    });
    let lines: Vec<_> = s.lines(false).map(|l| l.unwrap()).collect().await;
    writer.await;
    assert_eq!(lines.len(), 500);
    assert!(lines.iter().enumerate().all(|(i, l)| *l == i.to_string()));
}

#[async_std::test]
async fn reads_are_cancel_safe_under_select() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let (mut client, mut s) = tcp_pair(options(&pool, 1 << 16)).await;
    let sent = pipe_testkit::faults::lines(7, 3000);
    let data = sent.clone();
    let writer = async_std::task::spawn(async move {
        let mut rest = &data[..];
        let mut k = 0u64;
        while !rest.is_empty() {
            k += 1;
            let n = (1 + (k * 7919 % 300) as usize).min(rest.len());
            client.write_all(&rest[..n]).await.unwrap();
            rest = &rest[n..];
            if k.is_multiple_of(4) {
                async_std::task::sleep(Duration::from_micros(k * 13 % 2000)).await;
            }
        }
    });
    let mut got = Vec::new();
    let mut cancelled = 0;
    loop {
        match line_or_timeout(&mut s, 100).await {
            Some(Ok(Some(line))) => got.extend_from_slice(&line),
            Some(Ok(None)) => break,
            Some(Err(e)) => panic!("{e}"),
            None => cancelled += 1,
        }
    }
    writer.await;
    assert_eq!(got, sent);
    assert!(cancelled > 10, "the timer must win often: {cancelled}");
    drop(s);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[async_std::test]
async fn idle_connections_hold_no_chunk() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let n = 300;
    let mut clients = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..n {
        let connect = async_std::task::spawn(async move { TcpStream::connect(addr).await });
        let (mut s, _) = ChunkedStream::accept(&listener, options(&pool, 1 << 16))
            .await
            .unwrap();
        clients.push(connect.await.unwrap());
        readers.push(async_std::task::spawn(async move {
            let line = s.read_line(false).await.unwrap().unwrap();
            assert_eq!(line, "wake up");
            drop(line);
            assert_eq!(s.read_line(false).await.unwrap(), None);
        }));
    }
    async_std::task::sleep(Duration::from_millis(300)).await;
    assert_eq!(pool.stats().outstanding_chunks, 0, "{:?}", pool.stats());
    for c in &mut clients {
        c.write_all(b"wake up\n").await.unwrap();
    }
    async_std::task::sleep(Duration::from_millis(300)).await;
    assert_eq!(pool.stats().outstanding_chunks, 0);
    drop(clients);
    for r in readers {
        r.await;
    }
    assert!(pool.stats().acquired >= n as u64);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[async_std::test]
async fn an_endless_line_hits_the_limit_with_bounded_memory() {
    let pool = Pool::new(PoolConfig::default()).unwrap();
    let limit = 10_000;
    let (mut client, mut s) = tcp_pair(options(&pool, limit)).await;
    let writer = async_std::task::spawn(async move {
        let junk = vec![b'x'; 4096];
        for _ in 0..50 {
            client.write_all(&junk).await.unwrap();
        }
        client.write_all(b"\nafter\n").await.unwrap();
    });
    let err = s.read_line(true).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    // A line may end in `\r\n` after `limit` bytes, so the search reads up to `limit + 2`.
    assert!(s.buffered() <= limit + 2, "buffered {}", s.buffered());
    assert_eq!(s.discard_until(b"\n").await.unwrap(), 50 * 4096 + 1);
    assert_eq!(s.read_line(false).await.unwrap().unwrap(), "after");
    writer.await;
    drop(s);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}
