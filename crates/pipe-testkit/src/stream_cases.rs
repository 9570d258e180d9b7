//! A stream on real loopback sockets (TCP and Unix), written once for every runtime: reads,
//! writes, halves, end of stream, resets, cancel safety, idle memory and bounded memory. Each
//! adapter's `tests/net.rs` (and pipe-async-std's `tests/smol.rs`, on smol's sockets) invokes
//! [`stream_tests!`](crate::stream_tests).

/// The test functions, one per behaviour:
/// `stream_tests!(sockets: S, halves: H, test: runner, threaded: runner)`, with the runners as
/// [`cases`](crate::cases) describes them (`threaded` for the tests that want worker threads);
/// `S` what connects and accepts: `ChunkedStream` itself where the adapter has the runtime's
/// socket API, or a module with the same functions (`connect(addr)`,
/// `accept(&listener, options)`, `connect_unix(path)`, `accept_unix(&listener, options)`),
/// whose streams have `peer_addr()` and `into_split()` methods; `H` the method (`split` or
/// `into_split`) that makes the halves two tasks use at once on the client's side.
///
/// The including module names `ChunkedStream`, `TcpListener`, `TcpStream`, `UnixStream`,
/// `AsyncReadExt`, `AsyncWriteExt`, `AsyncBufReadExt`, `spawn`, `join` and `timeout` (see
/// [`cases`](crate::cases)), and `unix_listener(&path)`: a listening Unix socket of the runtime
/// bound to `path`.
#[macro_export]
macro_rules! stream_tests {
    (sockets: $net:ident, halves: $halves:ident, test: $test:tt, threaded: $threaded:tt) => {
        $crate::__test_fn! { $test
            /// The adapter's socket API (connect, accept, peer address, `TCP_NODELAY`) and each
            /// kind of read and write over TCP, both ways, to the end.
            fn tcp_connect_read_frames_and_write_back() {
                let pool = $crate::cases::pool();
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let options = $crate::cases::options(&pool, 1 << 16);
                let server = spawn(async move {
                    let (mut s, peer) = $net::accept(&listener, options).await.unwrap();
                    assert_eq!(s.peer_addr().unwrap(), peer);
                    assert_eq!(s.read_line(false).await.unwrap().unwrap(), "HELLO");
                    assert_eq!(s.read_until(b"--", true).await.unwrap().unwrap(), "a--");
                    assert_eq!(s.read_exact(4).await.unwrap().unwrap(), "body");
                    assert_eq!(s.peek(1).await.unwrap().unwrap(), "x");
                    assert_eq!(s.read_at_most(100).await.unwrap().unwrap(), "xyz");
                    let mut bufs = [
                        ::std::io::IoSlice::new(b"one "),
                        ::std::io::IoSlice::new(b""),
                        ::std::io::IoSlice::new(b"two\n"),
                    ];
                    s.write_vectored_all(&mut &mut bufs[..]).await.unwrap();
                    s.flush().await.unwrap();
                    assert_eq!(s.read_to_end().await.unwrap(), "tail");
                    assert_eq!(s.read_line(true).await.unwrap(), None);
                    s.close().await.unwrap();
                });
                let mut c = $net::connect(addr).await.unwrap();
                assert!(c.get_ref().nodelay().unwrap());
                c.write_all(b"HELLO\r\na--bodyxyz").await.unwrap();
                assert_eq!(c.read_line(true).await.unwrap().unwrap(), "one two\n");
                c.write_all(b"tail").await.unwrap();
                c.shutdown().await.unwrap();
                assert_eq!(c.read_line(true).await.unwrap(), None);
                join(server).await;
                $crate::cases::assert_balanced(&pool, "the accepted stream");
            }
        }

        $crate::__test_fn! { $test
            /// The same over a Unix socket: connect, accept, peer address, lines to the end.
            fn unix_sockets_work_the_same() {
                let pool = $crate::cases::pool();
                let path = $crate::cases::unix_socket_path("unix");
                let listener = unix_listener(&path);
                let options = $crate::cases::options(&pool, 1 << 16);
                let server = spawn(async move {
                    let (mut s, _) = $net::accept_unix(&listener, options).await.unwrap();
                    s.peer_addr().unwrap();
                    let mut got = Vec::new();
                    while let Some(line) = s.read_line(false).await.unwrap() {
                        got.push(line);
                    }
                    got
                });
                let mut c = $net::connect_unix(&path).await.unwrap();
                c.write_all(b"a\nbb\nccc\n").await.unwrap();
                c.shutdown().await.unwrap();
                assert_eq!(join(server).await, ["a", "bb", "ccc"]);
                ::std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
                $crate::cases::assert_balanced(&pool, "the accepted stream");
            }
        }

        $crate::__test_fn! { $test
            /// The peer closes in the middle of a line: the whole line, then the leftover in an
            /// `UnexpectedEof`, then the end.
            fn eof_mid_line_gives_the_leftover_then_the_end() {
                let pool = $crate::cases::pool();
                let (mut client, mut s) =
                    $crate::__stream_tcp_pair!($net, $crate::cases::options(&pool, 1 << 16));
                client.write_all(b"whole\nhalf a li").await.unwrap();
                drop(client);
                assert_eq!(s.read_line(true).await.unwrap().unwrap(), "whole\n");
                let err = s.read_line(true).await.unwrap_err();
                assert_eq!(err.kind(), ::std::io::ErrorKind::UnexpectedEof);
                assert!($crate::cases::is_partial(&err, "half a li"), "{err:?}");
                assert_eq!(s.read_line(true).await.unwrap(), None);
                drop((s, err)); // the leftover is a slice of its chunk
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }

        $crate::__test_fn! { $test
            /// The same end in the middle of a line on a Unix socket pair.
            fn eof_mid_line_on_unix_sockets() {
                let pool = $crate::cases::pool();
                let (mut a, b) = UnixStream::pair().unwrap();
                let mut s = ChunkedStream::with_options(b, $crate::cases::options(&pool, 1 << 16));
                a.write_all(b"no newline").await.unwrap();
                drop(a);
                let err = s.read_line(false).await.unwrap_err();
                assert!($crate::cases::is_partial(&err, "no newline"), "{err:?}");
                drop((s, err));
                $crate::cases::assert_balanced(&pool, "unix");
            }
        }

        $crate::__test_fn! { $test
            /// A peer reset (RST, not FIN) is a `ConnectionReset` on every read after it; what
            /// was buffered before it is not lost.
            fn a_peer_reset_is_an_error_every_time() {
                let pool = $crate::cases::pool();
                let options = $crate::cases::options(&pool, 1 << 16);
                let (mut client, mut s) = $crate::__stream_tcp_pair!($net, options, reset);
                client.write_all(b"line\npartial").await.unwrap();
                assert_eq!(s.read_line(false).await.unwrap().unwrap(), "line");
                // A socket closed with unread bytes in its receive queue answers with a reset
                // (RST, not FIN), as one with a zero linger does: both here. `peek` waits until
                // the bytes are there and reads nothing.
                s.write_all(b"never read").await.unwrap();
                client.peek(&mut [0; 1]).await.unwrap();
                drop(client);
                let first = s.read_line(false).await.unwrap_err();
                assert_eq!(first.kind(), ::std::io::ErrorKind::ConnectionReset, "{first:?}");
                let again = s.read_line(false).await.unwrap_err();
                assert_eq!(again.kind(), first.kind());
                // What was buffered before the reset is not lost.
                let (_, mut pipe) = s.into_inner();
                if !pipe.is_empty() {
                    assert_eq!(pipe.read_at_most(100).unwrap(), "partial");
                }
                drop(pipe);
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }

        $crate::__test_fn! { $test
            /// `into_inner` gives back the transport and the pipe with every unread byte.
            fn into_inner_hands_back_what_is_buffered() {
                let pool = $crate::cases::pool();
                // An in-memory transport delivers everything in one read: the pipe holds it all.
                let text = &b"first\nsecond\nthird"[..];
                let mut s = ChunkedStream::with_options(text, $crate::cases::options(&pool, 1 << 16));
                assert_eq!(s.read_line(false).await.unwrap().unwrap(), "first");
                let (rest_of_transport, mut pipe) = s.into_inner();
                assert!(rest_of_transport.is_empty());
                assert_eq!(pipe.read_line(false).unwrap(), "second");
                assert_eq!(pipe.read_at_most(100).unwrap(), "third");
                drop(pipe);
                $crate::cases::assert_balanced(&pool, "in-memory");
            }
        }

        $crate::__test_fn! { $test
            /// Owned halves (`into_split`) echo from one task while the peer's halves (made by
            /// `halves`) send from another and read in a third: a thousand lines, in order.
            fn halves_read_and_write_from_two_tasks() {
                let pool = $crate::cases::pool();
                let options = $crate::cases::options(&pool, 1 << 16);
                let (client, s) = $crate::__stream_tcp_pair!($net, options.clone());
                let (mut reader, mut writer) = s.into_split();
                let echo = spawn(async move {
                    let mut n = 0;
                    while let Some(line) = reader.read_line(true).await.unwrap() {
                        writer.write_all(&line).await.unwrap();
                        n += 1;
                    }
                    writer.shutdown().await.unwrap();
                    n
                });
                let (mut cr, mut cw) = ChunkedStream::with_options(client, options).$halves();
                let send = spawn(async move {
                    for i in 0..1000 {
                        cw.write_all(format!("line {i}\n").as_bytes()).await.unwrap();
                    }
                    cw.shutdown().await.unwrap();
                });
                let mut got = 0;
                while let Some(line) = cr.read_line(false).await.unwrap() {
                    assert_eq!(line, format!("line {got}"));
                    got += 1;
                }
                join(send).await;
                assert_eq!(join(echo).await, 1000);
                assert_eq!(got, 1000);
                drop(cr);
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }

        $crate::__test_fn! { $test
            /// `split` gives read and write halves of any transport.
            fn split_halves_of_any_transport() {
                let pool = $crate::cases::pool();
                let options = $crate::cases::options(&pool, 1 << 16);
                let (client, s) = $crate::__stream_tcp_pair!($net, options.clone());
                let (mut r, mut w) = s.split();
                let mut client = ChunkedStream::with_options(client, options);
                client.write_all(b"ping\n").await.unwrap();
                assert_eq!(r.read_line(false).await.unwrap().unwrap(), "ping");
                w.write_all(b"pong\n").await.unwrap();
                assert_eq!(client.read_line(false).await.unwrap().unwrap(), "pong");
                drop((r, w, client));
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }

        $crate::__test_fn! { $test
            /// The runtime's buffered-reader traits work on the stream as on a `BufReader`.
            fn it_drops_in_where_bufreader_was() {
                let pool = $crate::cases::pool();
                let (mut client, mut s) =
                    $crate::__stream_tcp_pair!($net, $crate::cases::options(&pool, 1 << 16));
                client.write_all(b"key: value\nrest of it").await.unwrap();
                drop(client);
                let mut line = Vec::new();
                AsyncBufReadExt::read_until(&mut s, b'\n', &mut line).await.unwrap();
                assert_eq!(line, b"key: value\n");
                let mut rest = String::new();
                AsyncReadExt::read_to_string(&mut s, &mut rest).await.unwrap();
                assert_eq!(rest, "rest of it");
                drop(s);
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }

        $crate::__test_fn! { $test
            /// The `lines()` stream yields every line, `\r\n` endings removed.
            fn the_lines_stream_yields_every_line() {
                use $crate::cases::reexport::futures_util::StreamExt;
                let pool = $crate::cases::pool();
                let (mut client, s) =
                    $crate::__stream_tcp_pair!($net, $crate::cases::options(&pool, 1 << 16));
                let writer = spawn(async move {
                    for i in 0..500 {
                        client.write_all(format!("{i}\r\n").as_bytes()).await.unwrap();
                    }
                });
                let lines: Vec<_> = s.lines(false).map(|l| l.unwrap()).collect().await;
                join(writer).await;
                assert_eq!(lines.len(), 500);
                assert!(lines.iter().enumerate().all(|(i, l)| *l == i.to_string()));
                drop(lines);
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }

        $crate::__test_fn! { $test
            /// The `lines()` stream ends with the partial last line as an error.
            fn lines_and_partial_at_the_end() {
                use $crate::cases::reexport::futures_util::StreamExt;
                let pool = $crate::cases::pool();
                let (mut client, s) =
                    $crate::__stream_tcp_pair!($net, $crate::cases::options(&pool, 1 << 16));
                client.write_all(b"one\r\ntwo\nthr").await.unwrap();
                drop(client);
                let got: Vec<::std::io::Result<_>> = s.lines(false).collect().await;
                assert_eq!(got.len(), 3);
                assert_eq!(got[0].as_ref().unwrap(), "one");
                assert_eq!(got[1].as_ref().unwrap(), "two");
                let err = got[2].as_ref().unwrap_err();
                assert!($crate::cases::is_partial(err, "thr"), "{err:?}");
                drop(got);
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }

        $crate::__test_fn! { $threaded
            /// Line reads raced against a 100 µs timer (dropped when it wins) lose and repeat
            /// nothing, however the peer's writes are cut and spaced.
            fn reads_are_cancel_safe_under_select() {
                for (seed, count) in [(7, 3000), (3, 2000)] {
                    let pool = $crate::cases::pool();
                    let (mut client, mut s) =
                        $crate::__stream_tcp_pair!($net, $crate::cases::options(&pool, 1 << 16));
                    let sent = $crate::faults::lines(seed, count);
                    let data = sent.clone();
                    let writer = spawn(async move {
                        let mut rest = &data[..];
                        let mut k = 0u64;
                        while !rest.is_empty() {
                            k += 1;
                            let n = (1 + (k * 7919 % 300) as usize).min(rest.len());
                            client.write_all(&rest[..n]).await.unwrap();
                            rest = &rest[n..];
                            if k.is_multiple_of(4) {
                                $crate::__sleep!(::std::time::Duration::from_micros(k * 13 % 2000));
                            }
                        }
                    });
                    let mut got = Vec::new();
                    let mut cancelled = 0;
                    loop {
                        let timer = ::std::time::Duration::from_micros(100);
                        match timeout(timer, s.read_line(true)).await {
                            Ok(Ok(Some(line))) => got.extend_from_slice(&line),
                            Ok(Ok(None)) => break,
                            Ok(Err(e)) => panic!("seed {seed}: {e}"),
                            Err(_) => cancelled += 1,
                        }
                    }
                    join(writer).await;
                    assert_eq!(got, sent, "seed {seed}");
                    assert!(cancelled > 10, "the timer must win often: {cancelled}");
                    drop(s);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $threaded
            /// A thousand connections whose readers wait for a line hold no chunk while idle,
            /// nor after the line was read.
            fn a_thousand_idle_connections_hold_no_chunk() {
                let pool = $crate::cases::pool();
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let n = 1000;
                let mut clients = Vec::new();
                let mut readers = Vec::new();
                for _ in 0..n {
                    let connect = spawn(async move { TcpStream::connect(addr).await.unwrap() });
                    let options = $crate::cases::options(&pool, 1 << 16);
                    let (mut s, _) = $net::accept(&listener, options).await.unwrap();
                    clients.push(join(connect).await);
                    readers.push(spawn(async move {
                        let line = s.read_line(false).await.unwrap().unwrap();
                        assert_eq!(line, "wake up");
                        drop(line); // a held frame holds its chunk
                        assert_eq!(s.read_line(false).await.unwrap(), None);
                    }));
                }
                // Every reader is parked in read_line with nothing buffered.
                $crate::__sleep!(::std::time::Duration::from_millis(300));
                let idle = pool.stats();
                assert_eq!(idle.outstanding_chunks, 0, "{idle:?}");
                assert_eq!(idle.outstanding_bytes, 0);
                for c in &mut clients {
                    c.write_all(b"wake up\n").await.unwrap();
                }
                $crate::__sleep!(::std::time::Duration::from_millis(300));
                // Data arrived and was consumed; the readers wait again for the end.
                assert_eq!(pool.stats().outstanding_chunks, 0, "{:?}", pool.stats());
                drop(clients);
                for r in readers {
                    join(r).await;
                }
                assert_eq!(pool.stats().outstanding_chunks, 0);
                assert!(pool.stats().acquired >= n as u64);
            }
        }

        $crate::__test_fn! { $test
            /// Lines longer than 256 KiB (which grow in memory of their own and are handed out
            /// in one piece) come out whole over a socket: 3 MiB in 4 KiB writes, and 270 KiB
            /// from a peer that writes one byte at a time while the reads are dropped at random
            /// points by a short timeout; the lines after them too, and every chunk goes back.
            fn long_lines_over_a_socket_come_out_whole() {
                let pool = $crate::cases::pool();
                let (mut client, mut s) =
                    $crate::__stream_tcp_pair!($net, $crate::cases::options(&pool, 4 << 20));
                let long = |n: usize| -> Vec<u8> { (0..n).map(|i| b'a' + (i % 23) as u8).collect() };
                let (big, small) = (long(3 << 20), long(270 * 1024));
                let (big2, small2) = (big.clone(), small.clone());
                let writer = spawn(async move {
                    let mut data = big2;
                    data.extend_from_slice(b"\r\nafter\n");
                    for piece in data.chunks(4096) {
                        client.write_all(piece).await.unwrap();
                    }
                    let mut data = small2;
                    data.extend_from_slice(b"\nlast\n");
                    for byte in data {
                        client.write_all(&[byte]).await.unwrap();
                    }
                });
                let line = s.read_line(false).await.unwrap().unwrap();
                assert!(line == big[..], "the 3 MiB line");
                assert_eq!(s.read_line(false).await.unwrap().unwrap(), "after");
                let mut cancelled = 0;
                let line = loop {
                    let timer = ::std::time::Duration::from_micros(200);
                    match timeout(timer, s.read_line(false)).await {
                        Ok(line) => break line.unwrap().unwrap(),
                        Err(_) => cancelled += 1,
                    }
                };
                assert!(line == small[..], "the 270 KiB line ({cancelled} reads dropped)");
                assert!(cancelled > 0, "the timer must cut some reads short");
                assert_eq!(s.read_line(false).await.unwrap().unwrap(), "last");
                assert_eq!(s.read_line(false).await.unwrap(), None);
                join(writer).await;
                drop(line);
                drop(s);
                $crate::cases::assert_balanced(&pool, "long lines");
            }
        }

        $crate::__test_fn! { $test
            /// A line that never ends fails at the limit with a bounded buffer; the connection
            /// goes on after `discard_until`.
            fn an_endless_line_hits_the_limit_with_bounded_memory() {
                let pool = $crate::cases::pool();
                let limit = 10_000;
                let (mut client, mut s) =
                    $crate::__stream_tcp_pair!($net, $crate::cases::options(&pool, limit));
                let writer = spawn(async move {
                    let junk = vec![b'x'; 4096];
                    for _ in 0..50 {
                        client.write_all(&junk).await.unwrap();
                    }
                    client.write_all(b"\nafter\n").await.unwrap();
                });
                let err = s.read_line(true).await.unwrap_err();
                assert_eq!($crate::cases::limit_of(&err), Some(10_000), "{err:?}");
                // A line may end in `\r\n` after `limit` bytes, so the search reads up to
                // `limit + 2`.
                assert!(s.buffered() <= limit + 2, "buffered {} past the limit", s.buffered());
                // The connection stays usable: drop the long line, read the next.
                assert_eq!(s.discard_until(b"\n").await.unwrap(), 50 * 4096 + 1);
                assert_eq!(s.read_line(false).await.unwrap().unwrap(), "after");
                join(writer).await;
                drop(s);
                $crate::cases::assert_balanced(&pool, "tcp");
            }
        }
    };
}

/// A connected loopback TCP pair: (the raw client socket of the runtime, the accepted side
/// wrapped with `$options` by `$net::accept`); with `reset`, closing the client resets the
/// connection. Uses the including module's glue.
#[doc(hidden)]
#[macro_export]
macro_rules! __stream_tcp_pair {
    ($net:ident, $options:expr $(, $reset:ident)?) => {{
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = $crate::cases::connect(addr, $crate::__stream_tcp_pair!(@reset $($reset)?));
        let (ours, _) = $net::accept(&listener, $options).await.unwrap();
        (TcpStream::try_from(client).unwrap(), ours)
    }};
    (@reset reset) => {
        true
    };
    (@reset) => {
        false
    };
}
