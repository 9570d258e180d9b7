//! pipe-tokio on real loopback sockets (TCP and Unix): reads, writes, halves, end of stream,
//! resets, cancel safety, idle memory and bounded memory.

use std::io;
use std::time::Duration;

use futures_util::StreamExt;
use pipe_tokio::{ChunkedStream, PipeOptions, Pool, PoolConfig, ReadError, read_error_of};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener};

fn options(pool: &Pool, max_frame: usize) -> PipeOptions {
    PipeOptions::new().pool(pool.clone()).max_frame(max_frame)
}

fn own_pool() -> Pool {
    Pool::new(PoolConfig::default()).unwrap()
}

/// A connected TCP pair: (client, server side wrapped with `options`).
async fn tcp_pair(opts: PipeOptions) -> (TcpStream, ChunkedStream<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(TcpStream::connect(addr), async {
        ChunkedStream::accept(&listener, opts).await
    });
    (client.unwrap(), accepted.unwrap().0)
}

#[tokio::test]
async fn tcp_connect_read_frames_and_write_back() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut s, peer) = ChunkedStream::accept(&listener, PipeOptions::default())
            .await
            .unwrap();
        assert_eq!(s.peer_addr().unwrap(), peer);
        assert_eq!(s.read_line(false).await.unwrap().unwrap(), "HELLO");
        assert_eq!(s.read_until(b"--", true).await.unwrap().unwrap(), "a--");
        assert_eq!(s.read_exact(4).await.unwrap().unwrap(), "body");
        assert_eq!(s.peek(1).await.unwrap().unwrap(), "x");
        assert_eq!(s.read_at_most(100).await.unwrap().unwrap().len(), 3);
        let mut bufs = [
            io::IoSlice::new(b"one "),
            io::IoSlice::new(b""),
            io::IoSlice::new(b"two\n"),
        ];
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
    server.await.unwrap();
}

#[tokio::test]
async fn unix_sockets_work_the_same() {
    let dir = std::env::temp_dir().join(format!("pipe-tokio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("unix.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let server = tokio::spawn(async move {
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
    assert_eq!(server.await.unwrap(), ["a", "bb", "ccc"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn eof_mid_line_gives_the_leftover_then_the_end() {
    let pool = own_pool();
    let (mut client, mut s) = tcp_pair(options(&pool, 1 << 16)).await;
    client.write_all(b"whole\nhalf a li").await.unwrap();
    drop(client);
    assert_eq!(s.read_line(true).await.unwrap().unwrap(), "whole\n");
    let err = s.read_line(true).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "half a li"));
    assert_eq!(s.read_line(true).await.unwrap(), None);
    drop((s, err)); // the leftover is a slice of its chunk
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[tokio::test]
async fn eof_mid_line_on_unix_sockets() {
    let (a, b) = tokio::net::UnixStream::pair().unwrap();
    let mut s = ChunkedStream::new(b);
    let mut a = a;
    a.write_all(b"no newline").await.unwrap();
    drop(a);
    let err = s.read_line(false).await.unwrap_err();
    assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "no newline"));
}

#[tokio::test]
async fn a_peer_reset_is_an_error_every_time() {
    let pool = own_pool();
    let (client, mut s) = tcp_pair(options(&pool, 1 << 16)).await;
    // Deprecated because a non-zero linger blocks on drop; a zero linger resets at once.
    #[allow(deprecated)]
    client.set_linger(Some(Duration::ZERO)).unwrap();
    let mut client = client;
    client.write_all(b"line\npartial").await.unwrap();
    // Let the bytes arrive, then reset: RST instead of FIN.
    assert_eq!(s.read_line(false).await.unwrap().unwrap(), "line");
    drop(client);
    let first = s.read_line(false).await.unwrap_err();
    assert!(
        matches!(
            first.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
        "{first:?}"
    );
    let again = s.read_line(false).await.unwrap_err();
    assert_eq!(again.kind(), first.kind());
    // What was buffered before the reset is not lost.
    let (_, mut pipe) = s.into_inner();
    if !pipe.is_empty() {
        assert_eq!(pipe.read_at_most(100).unwrap(), "partial");
    }
    drop(pipe);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[tokio::test]
async fn into_inner_hands_back_what_is_buffered() {
    // An in-memory transport delivers everything in one read, so the pipe holds it all.
    let mut s = ChunkedStream::new(&b"first\nsecond\nthird"[..]);
    assert_eq!(s.read_line(false).await.unwrap().unwrap(), "first");
    let (rest_of_transport, mut pipe) = s.into_inner();
    assert!(rest_of_transport.is_empty());
    assert_eq!(pipe.read_line(false).unwrap(), "second");
    assert_eq!(pipe.read_at_most(100).unwrap(), "third");
}

#[tokio::test]
async fn halves_read_and_write_from_two_tasks() {
    let (client, s) = tcp_pair(PipeOptions::default()).await;
    let (mut reader, mut writer) = s.into_split();
    let echo = tokio::spawn(async move {
        let mut n = 0;
        while let Some(line) = reader.read_line(true).await.unwrap() {
            writer.write_all(&line).await.unwrap();
            n += 1;
        }
        writer.shutdown().await.unwrap();
        n
    });
    let (mut cr, mut cw) = ChunkedStream::new(client).split();
    let send = tokio::spawn(async move {
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
    send.await.unwrap();
    assert_eq!(echo.await.unwrap(), 1000);
    assert_eq!(got, 1000);
}

#[tokio::test]
async fn it_drops_in_where_bufreader_was() {
    let (mut client, s) = tcp_pair(PipeOptions::default()).await;
    client.write_all(b"key: value\nrest of it").await.unwrap();
    drop(client);
    let mut s = s;
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

#[tokio::test]
async fn the_lines_stream_yields_every_line() {
    let (mut client, s) = tcp_pair(PipeOptions::default()).await;
    let writer = tokio::spawn(async move {
        for i in 0..500 {
            client
                .write_all(format!("{i}\r\n").as_bytes())
                .await
                .unwrap();
        }
    });
    let lines: Vec<_> = s.lines(false).map(|l| l.unwrap()).collect().await;
    writer.await.unwrap();
    assert_eq!(lines.len(), 500);
    assert!(lines.iter().enumerate().all(|(i, l)| *l == i.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_cancel_safe_under_select() {
    let pool = own_pool();
    let (mut client, mut s) = tcp_pair(options(&pool, 1 << 16)).await;
    let sent = pipe_testkit::faults::lines(7, 3000);
    let data = sent.clone();
    let writer = tokio::spawn(async move {
        let mut rest = &data[..];
        let mut k = 0u64;
        while !rest.is_empty() {
            k += 1;
            let n = (1 + (k * 7919 % 300) as usize).min(rest.len());
            client.write_all(&rest[..n]).await.unwrap();
            rest = &rest[n..];
            if k.is_multiple_of(4) {
                tokio::time::sleep(Duration::from_micros(k * 13 % 2000)).await;
            }
        }
    });
    let mut got = Vec::new();
    let mut cancelled = 0;
    loop {
        tokio::select! {
            line = s.read_line(true) => match line.unwrap() {
                Some(line) => got.extend_from_slice(&line),
                None => break,
            },
            _ = tokio::time::sleep(Duration::from_micros(100)) => cancelled += 1,
        }
    }
    writer.await.unwrap();
    assert_eq!(got, sent);
    assert!(cancelled > 10, "the timer must win often: {cancelled}");
    drop(s);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_hold_no_chunk() {
    let pool = own_pool();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let n = 1000;
    let opts = options(&pool, 1 << 16);
    let server = tokio::spawn(async move {
        let mut readers = Vec::new();
        for _ in 0..n {
            let (mut s, _) = ChunkedStream::accept(&listener, opts.clone())
                .await
                .unwrap();
            readers.push(tokio::spawn(async move {
                let line = s.read_line(false).await.unwrap().unwrap();
                assert_eq!(line, "wake up");
                drop(line); // a held frame holds its chunk
                let next = s.read_line(false).await.unwrap();
                assert_eq!(next, None);
            }));
        }
        readers
    });
    let mut clients = Vec::new();
    for _ in 0..n {
        clients.push(TcpStream::connect(addr).await.unwrap());
    }
    let readers = server.await.unwrap();
    // Every reader is parked in read_line with nothing buffered.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = pool.stats();
    assert_eq!(idle.outstanding_chunks, 0, "{idle:?}");
    assert_eq!(idle.outstanding_bytes, 0);
    for c in &mut clients {
        c.write_all(b"wake up\n").await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Data arrived and was consumed; the readers wait again for the end.
    assert_eq!(pool.stats().outstanding_chunks, 0);
    drop(clients);
    for r in readers {
        r.await.unwrap();
    }
    assert_eq!(pool.stats().outstanding_chunks, 0);
    assert!(pool.stats().acquired >= n as u64);
}

#[tokio::test]
async fn an_endless_line_hits_the_limit_with_bounded_memory() {
    let pool = own_pool();
    let limit = 10_000;
    let (mut client, mut s) = tcp_pair(options(&pool, limit)).await;
    let writer = tokio::spawn(async move {
        let junk = vec![b'x'; 4096];
        for _ in 0..50 {
            if client.write_all(&junk).await.is_err() {
                return;
            }
        }
        client.write_all(b"\nafter\n").await.unwrap();
    });
    let err = s.read_line(true).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(matches!(
        read_error_of(&err),
        Some(ReadError::LimitExceeded { limit: 10_000, .. })
    ));
    // A line may end in `\r\n` after `limit` bytes, so the search reads up to `limit + 2`.
    assert!(
        s.buffered() <= limit + 2,
        "buffered {} past the limit",
        s.buffered()
    );
    // The connection stays usable: drop the long line, read the next.
    let dropped = s.discard_until(b"\n").await.unwrap();
    assert_eq!(dropped, 50 * 4096 + 1);
    assert_eq!(s.read_line(false).await.unwrap().unwrap(), "after");
    writer.await.unwrap();
    drop(s);
    assert_eq!(pool.stats().outstanding_chunks, 0);
}
