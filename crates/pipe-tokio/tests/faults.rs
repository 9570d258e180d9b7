//! pipe-tokio over the test kit's misbehaving transport (short reads and writes, `Pending`,
//! `Interrupted`, `WouldBlock`, resets at random points), on tokio: the checks of
//! `pipe_testkit::fault_cases`, shared with pipe-async-std.

use pipe_tokio::ChunkedStream;
use tokio::task::yield_now;

pipe_testkit::fault_tests!(test: (#[tokio::test]));

/// The stream's `AsyncRead` into every kind of memory, in turn: `read_exact` of 5 bytes, a
/// `read_buf` into a fresh `BytesMut`'s spare capacity (uninitialised), a `read` into a 70 KB
/// slice (initialised: past the pipe when nothing is buffered), a `ReadBuf` over 70 KB of which
/// 10 bytes are initialised. Every byte once, in order, over a transport giving one byte, 7 or
/// all at a time with `Pending` between, or with hiccups; then the end or the reset, every time.
#[tokio::test]
async fn reads_into_initialised_and_uninitialised_memory() {
    use pipe_testkit::contract_cases::{payload, same_bytes};
    use pipe_testkit::faults::{Faulty, Script};
    use std::mem::MaybeUninit;
    use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
    for reset in [false, true] {
        for step in [1usize, 7, 0] {
            let data = payload(if step == 1 { 30_000 } else { 300_000 }, step as u64 + 1);
            let how = format!("reset {reset}, step {step}");
            let pool = pipe_testkit::cases::pool();
            let options = pipe_testkit::cases::options(&pool, 64);
            let mut s = if step == 0 {
                let faulty = Faulty::new(data.clone(), reset.then_some(data.len()), 3);
                ChunkedStream::with_options(Box::new(faulty) as Box<dyn Transport>, options)
            } else {
                let script = Script::new(data.clone(), step, reset);
                ChunkedStream::with_options(Box::new(script) as Box<dyn Transport>, options)
            };
            let (mut got, mut turn) = (Vec::new(), 0);
            let mut slice = vec![0u8; 70_000];
            let mut storage = vec![MaybeUninit::<u8>::uninit(); 70_000];
            let end = loop {
                turn += 1;
                let outcome = match turn % 4 {
                    0 if data.len() - got.len() >= 5 => {
                        let mut five = [0u8; 5];
                        AsyncReadExt::read_exact(&mut s, &mut five).await.unwrap();
                        got.extend_from_slice(&five);
                        continue;
                    }
                    0 => continue,
                    1 => {
                        let mut buf = bytes::BytesMut::with_capacity(70_000);
                        let r = s.read_buf(&mut buf).await;
                        got.extend_from_slice(&buf);
                        r
                    }
                    2 => {
                        let r = AsyncReadExt::read(&mut s, &mut slice).await;
                        if let Ok(n) = r {
                            got.extend_from_slice(&slice[..n]);
                        }
                        r
                    }
                    _ => {
                        let mut buf = ReadBuf::uninit(&mut storage);
                        buf.initialize_unfilled_to(10);
                        let r = std::future::poll_fn(|cx| {
                            std::pin::Pin::new(&mut s).poll_read(cx, &mut buf)
                        })
                        .await;
                        got.extend_from_slice(buf.filled());
                        r.map(|()| buf.filled().len())
                    }
                };
                match outcome {
                    Ok(0) => break Ok(0),
                    Ok(_) => {}
                    Err(e) => break Err(e.kind()),
                }
            };
            same_bytes(&got, &data, &how);
            let mut buf = bytes::BytesMut::with_capacity(100);
            let again = s.read_buf(&mut buf).await.map_err(|e| e.kind());
            if reset {
                let kind = std::io::ErrorKind::ConnectionReset;
                assert_eq!((end, again), (Err(kind), Err(kind)), "{how}");
            } else {
                assert_eq!((end, again), (Ok(0), Ok(0)), "{how}");
            }
            drop(s);
            pipe_testkit::cases::assert_balanced(&pool, &how);
        }
    }
}

/// The test kit's transports as one type.
trait Transport: tokio::io::AsyncRead + Unpin {}
impl<T: tokio::io::AsyncRead + Unpin> Transport for T {}

/// `tokio::io::copy_buf` from the stream (as the README advises for forwarding): every byte to
/// the writer, in order, over a transport with hiccups; with a reset, every byte before it and
/// then the reset.
#[tokio::test]
async fn copy_buf_forwards_every_byte() {
    use pipe_testkit::contract_cases::{payload, same_bytes};
    use pipe_testkit::faults::Faulty;
    for seed in 1..6 {
        for reset in [false, true] {
            let how = format!("seed {seed}, reset {reset}");
            let pool = pipe_testkit::cases::pool();
            let data = payload(100_000, seed);
            let faulty = Faulty::new(data.clone(), reset.then_some(data.len()), seed);
            let mut s =
                ChunkedStream::with_options(faulty, pipe_testkit::cases::options(&pool, 64));
            let mut out = Vec::new();
            let copied = tokio::io::copy_buf(&mut s, &mut out).await;
            same_bytes(&out, &data, &how);
            match copied {
                Ok(n) => assert!(!reset && n == data.len() as u64, "{how}: {n}"),
                Err(e) => assert!(
                    reset && e.kind() == std::io::ErrorKind::ConnectionReset,
                    "{how}"
                ),
            }
            drop(s);
            pipe_testkit::cases::assert_balanced(&pool, &how);
        }
    }
}
