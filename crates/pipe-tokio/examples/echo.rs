//! A length-delimited echo server and a client on loopback, with `Framed` and
//! `LengthDelimitedCodec`: `cargo run --release -p pipe-tokio --example echo`.
//!
//! The server decodes each frame straight out of its pooled chunks and sends it back; payloads
//! of 4 KiB and more go out from the frame's own memory with a vectored write, not copied.

use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use pipe_tokio::codec::LengthDelimitedCodec;
use pipe_tokio::{Bytes, ChunkedStream, Framed, PipeOptions};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = ChunkedStream::accept(&listener, PipeOptions::new()).await else {
                return;
            };
            tokio::spawn(async move {
                let mut frames = Framed::new(conn, LengthDelimitedCodec::new());
                while let Some(Ok(frame)) = frames.next().await {
                    if frames.send(frame).await.is_err() {
                        break;
                    }
                }
            });
        }
    });

    let mut client = Framed::new(
        ChunkedStream::connect(addr).await?,
        LengthDelimitedCodec::new(),
    );
    let start = Instant::now();
    let (mut frames, mut bytes) = (0u64, 0u64);
    for size in [16, 1024, 64 * 1024] {
        let payload = Bytes::from(vec![b'x'; size]);
        for _ in 0..1000 {
            client.send(payload.clone()).await?;
            let echoed = client
                .next()
                .await
                .ok_or(std::io::ErrorKind::UnexpectedEof)??;
            assert_eq!(echoed, payload);
            frames += 1;
            bytes += echoed.len() as u64;
        }
        println!("echoed 1000 frames of {size} bytes");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{frames} frames, {:.1} MiB there and back in {:.0} ms ({:.0} round trips/s)",
        bytes as f64 / (1 << 20) as f64,
        secs * 1e3,
        frames as f64 / secs
    );
    SinkExt::<Bytes>::close(&mut client).await?;
    Ok(())
}
