//! The framed types' behaviours, written once for every runtime: each adapter's
//! `tests/framed.rs` brings its `ChunkedStream`, `Framed`, `FramedRead`, `FramedWrite`,
//! `PipeOptions`, `Pool`, its runtime's `TcpStream` and its `write_all` extension trait into
//! scope, defines the runtime's glue (`block_on`, `spawn`, `sockets()`: a connected loopback
//! pair of its `TcpStream`s, `close_raw(peer)`: half-close a raw socket) and invokes
//! [`framed_tests!`](crate::framed_tests), which adds the rest (`pair`, `raw_pair`,
//! `write_raw`) once.

/// A length-delimited payload of `len` bytes, different for each `seed`.
pub fn payload(len: usize, seed: u8) -> bytes::Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect::<Vec<u8>>()
        .into()
}

/// The test functions (see the module docs): `framed_tests!(block_on)`, where `block_on` runs
/// a future to completion on the runtime under test (the glue's `spawn` uses the same one).
#[macro_export]
macro_rules! framed_tests {
    ($block_on:path) => {
        use ::futures_util::{SinkExt as _, StreamExt as _};
        use $crate::cases::pool;

        fn wrap(io: TcpStream, pool: &Pool) -> ChunkedStream<TcpStream> {
            ChunkedStream::with_options(io, PipeOptions::new().pool(pool.clone()))
        }

        /// Two connected streams on loopback TCP, with `pool`.
        async fn pair(pool: &Pool) -> (ChunkedStream<TcpStream>, ChunkedStream<TcpStream>) {
            let (a, b) = sockets().await;
            (wrap(a, pool), wrap(b, pool))
        }

        /// A raw peer socket and a stream with `pool`, connected.
        async fn raw_pair(pool: &Pool) -> (TcpStream, ChunkedStream<TcpStream>) {
            let (a, b) = sockets().await;
            (a, wrap(b, pool))
        }

        async fn write_raw(peer: &mut TcpStream, data: &[u8]) {
            peer.write_all(data).await.unwrap();
        }
        use ::pipe_core::codec::{
            LengthDelimitedCodec, LengthDelimitedCodecError, LinesCodec, LinesCodecError,
        };

        /// `fill_at_least(n)` from a peer that sends one byte at a time: true once `n` bytes are
        /// there (one under, at, and one over the maximum frame), false at the end with fewer,
        /// nothing consumed.
        #[test]
        fn fill_at_least_from_a_one_byte_peer() {
            $block_on(async {
                let pool = pool();
                let (mut peer, mut stream) = raw_pair(&pool).await;
                stream.pipe_mut().set_max_frame(16);
                let writer = spawn(async move {
                    for b in 0..20u8 {
                        write_raw(&mut peer, &[b]).await;
                    }
                    close_raw(peer).await;
                });
                assert!(stream.fill_at_least(15).await.unwrap());
                assert!(stream.fill_at_least(16).await.unwrap());
                let err = stream.fill_at_least(17).await.unwrap_err();
                assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
                stream.pipe_mut().set_max_frame(64);
                assert!(
                    !stream.fill_at_least(21).await.unwrap(),
                    "only 20 bytes come"
                );
                assert_eq!(stream.buffered(), 20, "nothing consumed");
                writer.await;
                drop(stream);
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// Lines from a peer that sends one byte at a time: every line, one error for the line
        /// over the limit (dropped, and the lines after it follow), then the end.
        #[test]
        fn framed_lines_from_a_one_byte_peer() {
            $block_on(async {
                let pool = pool();
                let (mut peer, stream) = raw_pair(&pool).await;
                let writer = spawn(async move {
                    for &b in b"one\r\nfar too long a line\ntwo\nlast" {
                        write_raw(&mut peer, &[b]).await;
                    }
                    close_raw(peer).await;
                });
                let mut lines = FramedRead::new(stream, LinesCodec::new_with_max_length(8));
                let mut got = Vec::new();
                while let Some(item) = lines.next().await {
                    got.push(item.map_err(|e| matches!(e, LinesCodecError::MaxLineLengthExceeded)));
                    assert!(got.len() < 10, "the stream does not end: {got:?}");
                }
                writer.await;
                let want: Vec<Result<::bytes::Bytes, bool>> = vec![
                    Ok("one".into()),
                    Err(true),
                    Ok("two".into()),
                    Ok("last".into()),
                ];
                assert_eq!(got, want);
                assert!(lines.next().await.is_none(), "the end stays the end");
                drop((got, lines)); // the lines are slices of pooled chunks
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// A length-delimited echo: 64 B and 64 KiB payloads there and back, each intact, in
        /// order; the pool balances.
        #[test]
        fn framed_length_delimited_echo() {
            $block_on(async {
                let pool = pool();
                let (a, b) = pair(&pool).await;
                let server = spawn(async move {
                    let mut echo = Framed::new(b, LengthDelimitedCodec::new());
                    while let Some(frame) = echo.next().await {
                        echo.send(frame.unwrap()).await.unwrap();
                    }
                    ::futures_util::SinkExt::<::bytes::Bytes>::close(&mut echo)
                        .await
                        .unwrap();
                });
                let mut client = Framed::new(a, LengthDelimitedCodec::new());
                // 64 KiB payloads one at a time (the echo cannot overtake a sender that is not
                // reading), then 50 small ones pipelined in one flush.
                for i in 0..10u8 {
                    let frame = $crate::framed_cases::payload(64 * 1024, i);
                    client.send(frame.clone()).await.unwrap();
                    assert_eq!(client.next().await.unwrap().unwrap(), frame, "frame {i}");
                }
                for i in 0..50u8 {
                    client
                        .feed($crate::framed_cases::payload(64, i))
                        .await
                        .unwrap();
                }
                ::futures_util::SinkExt::<::bytes::Bytes>::flush(&mut client)
                    .await
                    .unwrap();
                for i in 0..50u8 {
                    let frame = client.next().await.unwrap().unwrap();
                    assert_eq!(
                        frame,
                        $crate::framed_cases::payload(64, i),
                        "small frame {i}"
                    );
                }
                ::futures_util::SinkExt::<::bytes::Bytes>::close(&mut client)
                    .await
                    .unwrap();
                assert!(client.next().await.is_none());
                server.await;
                drop(client);
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// `next()` futures polled once and dropped, many times over a slow peer: every frame
        /// arrives once.
        #[test]
        fn framed_next_dropped_at_random_points_loses_nothing() {
            $block_on(async {
                let pool = pool();
                let (mut peer, stream) = raw_pair(&pool).await;
                let mut wire = Vec::new();
                for i in 0..200u32 {
                    wire.extend_from_slice(&4u32.to_be_bytes());
                    wire.extend_from_slice(&i.to_be_bytes());
                }
                let writer = spawn(async move {
                    for piece in wire.chunks(3) {
                        write_raw(&mut peer, piece).await;
                    }
                    close_raw(peer).await;
                });
                let mut frames = FramedRead::new(stream, LengthDelimitedCodec::new());
                let mut got = Vec::new();
                let mut round = 0u32;
                loop {
                    round += 1;
                    assert!(round < 1_000_000, "no progress");
                    let next = {
                        let mut next = std::pin::pin!(frames.next());
                        if round % 3 == 0 {
                            // Polled once and dropped: a cancellation.
                            let waker = std::task::Waker::noop();
                            match next
                                .as_mut()
                                .poll(&mut std::task::Context::from_waker(waker))
                            {
                                std::task::Poll::Ready(item) => item,
                                std::task::Poll::Pending => continue,
                            }
                        } else {
                            next.await
                        }
                    };
                    match next {
                        Some(frame) => {
                            let frame = frame.unwrap();
                            got.push(u32::from_be_bytes(frame[..].try_into().unwrap()));
                        }
                        None => break,
                    }
                }
                writer.await;
                assert_eq!(got, (0..200).collect::<Vec<u32>>());
                drop(frames);
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// A length over the maximum in the middle of the stream: the frames before it, then
        /// one typed error, then the end (never the same error again).
        #[test]
        fn framed_decoder_error_mid_stream_ends_the_stream() {
            $block_on(async {
                let pool = pool();
                let (mut peer, stream) = raw_pair(&pool).await;
                let writer = spawn(async move {
                    write_raw(&mut peer, &[0, 0, 0, 2, b'o', b'k']).await;
                    write_raw(&mut peer, &[0, 0, 1, 0]).await; // 256 bytes: over the maximum
                    write_raw(&mut peer, &[b'x'; 300]).await;
                    close_raw(peer).await;
                });
                let codec = LengthDelimitedCodec::builder()
                    .max_frame_length(100)
                    .new_codec();
                let mut frames = FramedRead::new(stream, codec);
                assert_eq!(frames.next().await.unwrap().unwrap(), "ok");
                match frames.next().await {
                    Some(Err(LengthDelimitedCodecError::FrameTooBig {
                        length: 256,
                        max: 100,
                    })) => {}
                    other => panic!("{other:?}"),
                }
                assert!(frames.next().await.is_none());
                assert!(frames.next().await.is_none());
                writer.await;
                drop(frames);
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// A header cut by the end of the stream: one `UnexpectedEof` error, then the end.
        #[test]
        fn framed_header_cut_by_the_end() {
            $block_on(async {
                let pool = pool();
                let (mut peer, stream) = raw_pair(&pool).await;
                write_raw(&mut peer, &[0, 0, 0, 1, b'a', 0, 0]).await;
                close_raw(peer).await;
                let mut frames = FramedRead::new(stream, LengthDelimitedCodec::new());
                assert_eq!(frames.next().await.unwrap().unwrap(), "a");
                match frames.next().await {
                    Some(Err(LengthDelimitedCodecError::Io(e))) => {
                        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof)
                    }
                    other => panic!("{other:?}"),
                }
                assert!(frames.next().await.is_none());
                drop(frames);
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// Sending after `close` is an error; an encoder error writes nothing and the sink goes
        /// on.
        #[test]
        fn framed_sink_errors() {
            $block_on(async {
                let pool = pool();
                let (a, b) = pair(&pool).await;
                let mut sink = FramedWrite::new(a, LinesCodec::new_with_max_length(4));
                assert!(matches!(
                    sink.send("too long").await,
                    Err(LinesCodecError::MaxLineLengthExceeded)
                ));
                assert_eq!(sink.buffered(), 0);
                sink.send("ok").await.unwrap();
                ::futures_util::SinkExt::<&str>::close(&mut sink)
                    .await
                    .unwrap();
                match sink.send("late").await {
                    Err(LinesCodecError::Io(e)) => {
                        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe)
                    }
                    other => panic!("{other:?}"),
                }
                let mut lines = FramedRead::new(b, LinesCodec::new());
                assert_eq!(lines.next().await.unwrap().unwrap(), "ok");
                assert!(lines.next().await.is_none());
                drop((sink, lines));
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// Past the high-water mark `poll_ready` flushes first: the buffer never holds much more
        /// than the mark.
        #[test]
        fn framed_write_flushes_at_the_high_water_mark() {
            $block_on(async {
                let pool = pool();
                let (a, b) = pair(&pool).await;
                let reader = spawn(async move {
                    let mut frames = FramedRead::new(b, LengthDelimitedCodec::new());
                    let mut n = 0;
                    while let Some(frame) = frames.next().await {
                        assert_eq!(frame.unwrap().len(), 1000);
                        n += 1;
                    }
                    n
                });
                let mut sink = FramedWrite::new(a, LengthDelimitedCodec::new());
                sink.set_high_water(4096);
                for i in 0..500u32 {
                    sink.feed($crate::framed_cases::payload(1000, i as u8))
                        .await
                        .unwrap();
                    assert!(
                        sink.buffered() < 4096 + 1004,
                        "{} buffered",
                        sink.buffered()
                    );
                }
                ::futures_util::SinkExt::<::bytes::Bytes>::close(&mut sink)
                    .await
                    .unwrap();
                assert_eq!(reader.await, 500);
                drop(sink);
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// `fill_at_least(n)` futures polled once and dropped between awaited ones, over a peer
        /// that sends one byte at a time: nothing is lost or read twice, every call that
        /// completes says true once `n` bytes are there, and the limit still holds after a
        /// cancelled call (one under, at, one over).
        #[test]
        fn fill_at_least_dropped_at_random_points_loses_nothing() {
            $block_on(async {
                let pool = pool();
                let (mut peer, mut stream) = raw_pair(&pool).await;
                stream.pipe_mut().set_max_frame(32);
                let sent: Vec<u8> = (0..64u8).collect();
                let to_send = sent.clone();
                let writer = spawn(async move {
                    for b in to_send {
                        write_raw(&mut peer, &[b]).await;
                    }
                    close_raw(peer).await;
                });
                let mut got = Vec::new();
                let cx_waker = std::task::Waker::noop();
                for round in 0..40usize {
                    let want = 1 + round % 32;
                    {
                        // Polled once and dropped: a cancellation.
                        let mut call = std::pin::pin!(stream.fill_at_least(want));
                        let _ = call
                            .as_mut()
                            .poll(&mut std::task::Context::from_waker(cx_waker));
                    }
                    if stream.buffered() + got.len() == sent.len() {
                        break;
                    }
                    assert!(
                        stream.fill_at_least(want.min(32)).await.unwrap(),
                        "round {round}"
                    );
                    assert!(stream.buffered() >= want);
                    // Take a few bytes so that the next rounds need more.
                    let take = 1 + round % 3;
                    let bytes = stream.read_exact(take).await.unwrap().unwrap();
                    got.extend_from_slice(&bytes);
                }
                // At the limit after all that: one under and at are waited for, one over is an
                // error at once that consumes nothing.
                let before = stream.buffered();
                let err = stream.fill_at_least(33).await.unwrap_err();
                assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
                assert_eq!(stream.buffered(), before, "the error consumed nothing");
                stream.pipe_mut().set_max_frame(1024); // read_to_end is bounded too
                let rest = stream.read_to_end().await.unwrap();
                got.extend_from_slice(&rest);
                assert_eq!(got, sent, "every byte once, in order");
                writer.await;
                // `rest` may share the last chunk (when the rest lay in one): it goes too.
                drop((stream, rest));
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// `send` futures polled once and dropped at random points, with a small high-water mark
        /// so that `poll_ready` has to flush: every message whose `send` completed arrives
        /// once, in order; a message whose `send` was dropped arrives once or not at all (it
        /// was encoded or it was not), never twice or torn; after `close`, `send` is a
        /// `BrokenPipe` error and what was sent before arrives.
        #[test]
        fn framed_send_dropped_at_random_points_loses_nothing_sent() {
            $block_on(async {
                let pool = pool();
                let (a, b) = pair(&pool).await;
                let mut sink = FramedWrite::new(a, LengthDelimitedCodec::new());
                sink.set_high_water(2048);
                let (mut completed, mut dropped) = (Vec::new(), Vec::new());
                let waker = std::task::Waker::noop();
                let message = |i: u32| {
                    let body = $crate::framed_cases::payload(1000, 0).slice(4..);
                    ::bytes::Bytes::from([&i.to_be_bytes()[..], &body[..]].concat())
                };
                // Polled once and dropped: Ready (sent) or Pending (cancelled).
                let send_once = |sink: &mut FramedWrite<_, _>,
                                 i: u32,
                                 completed: &mut Vec<u32>,
                                 dropped: &mut Vec<u32>| {
                    let mut send = std::pin::pin!(sink.send(message(i)));
                    match send
                        .as_mut()
                        .poll(&mut std::task::Context::from_waker(waker))
                    {
                        std::task::Poll::Ready(r) => {
                            r.unwrap();
                            completed.push(i);
                        }
                        std::task::Poll::Pending => dropped.push(i),
                    }
                };
                // Nobody reads yet: the sockets' buffers fill and sends start to wait, and
                // are cancelled.
                let mut i = 0u32;
                while dropped.len() < 20 {
                    send_once(&mut sink, i, &mut completed, &mut dropped);
                    i += 1;
                    assert!(i < 100_000, "the sockets never filled");
                }
                let reader = spawn(async move {
                    let mut frames = FramedRead::new(b, LengthDelimitedCodec::new());
                    let mut got = Vec::new();
                    while let Some(frame) = frames.next().await {
                        let frame = frame.unwrap();
                        assert_eq!(frame.len(), 1000, "a whole message");
                        got.push(u32::from_be_bytes(frame[..4].try_into().unwrap()));
                    }
                    got
                });
                // Now a mix: most sends awaited, one in three polled once and dropped.
                for _ in 0..3000 {
                    if i % 3 == 1 {
                        send_once(&mut sink, i, &mut completed, &mut dropped);
                    } else {
                        sink.send(message(i)).await.unwrap();
                        completed.push(i);
                    }
                    i += 1;
                }
                ::futures_util::SinkExt::<::bytes::Bytes>::close(&mut sink)
                    .await
                    .unwrap();
                let after = sink.send(::bytes::Bytes::from_static(b"late")).await;
                assert_eq!(
                    after.map_err(std::io::Error::from).unwrap_err().kind(),
                    std::io::ErrorKind::BrokenPipe
                );
                let got = reader.await;
                let mut sorted = got.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), got.len(), "no message twice");
                assert_eq!(got, sorted, "in order");
                completed.sort_unstable();
                dropped.sort_unstable();
                for i in &completed {
                    assert!(
                        got.binary_search(i).is_ok(),
                        "completed message {i} arrived"
                    );
                }
                for i in &got {
                    let known =
                        completed.binary_search(i).is_ok() || dropped.binary_search(i).is_ok();
                    assert!(known, "message {i} was sent");
                }
                drop(sink);
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }

        /// `split_with` the stream's own split: the halves work from two tasks, the read half
        /// keeps the bytes already buffered, and the write half the messages not yet sent.
        #[test]
        fn framed_split_with_keeps_buffered_bytes_and_unsent_messages() {
            $block_on(async {
                let pool = pool();
                let (a, b) = pair(&pool).await;
                let mut peer = Framed::new(b, LinesCodec::new());
                peer.send("one").await.unwrap();
                peer.send("two").await.unwrap();
                let mut framed = Framed::new(a, LinesCodec::new());
                assert_eq!(framed.next().await.unwrap().unwrap(), "one");
                framed.feed("unsent").await.unwrap(); // buffered, not flushed
                let (mut lines, mut sink) = framed.split_with(ChunkedStream::split);
                let writer = spawn(async move {
                    ::futures_util::SinkExt::<&str>::flush(&mut sink)
                        .await
                        .unwrap();
                    sink.send("from the write half").await.unwrap();
                    ::futures_util::SinkExt::<&str>::close(&mut sink)
                        .await
                        .unwrap();
                });
                // "two" was read before the split, or arrives after it: either way it is next.
                assert_eq!(lines.next().await.unwrap().unwrap(), "two");
                assert_eq!(peer.next().await.unwrap().unwrap(), "unsent");
                assert_eq!(peer.next().await.unwrap().unwrap(), "from the write half");
                writer.await;
                ::futures_util::SinkExt::<&str>::close(&mut peer)
                    .await
                    .unwrap();
                assert!(lines.next().await.is_none());
                drop((lines, peer));
                assert_eq!(pool.stats().outstanding_chunks, 0);
            })
        }
    };
}
