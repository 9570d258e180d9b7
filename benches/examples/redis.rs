//! A Redis client on pipe-tokio: the test kit's RESP client (replies parsed synchronously from
//! the stream's pipe with `read_line_ref` and `read_exact`, `fill_more` awaited only on
//! `NeedMore`; commands pipelined with one vectored write), the one the adapters' tests run
//! against a real server.
//!
//! ```text
//! redis-server --port 6379 --save '' &                              # any Redis will do
//! cargo run --release -p chunkedbuffer-benches --example redis                  # talks to 127.0.0.1:6379
//! cargo run --release -p chunkedbuffer-benches --example redis -- HOST:PORT     # or to yours
//! ```
//!
//! It writes keys of its own (`greeting`, `big:0` to `big:9`, `k`): use a scratch server.

use std::io;
use std::time::Instant;

use pipe_testkit::resp::{Client, Value};
use pipe_tokio::ChunkedStream;

fn show(value: &Value) -> String {
    match value {
        Value::Bulk(b) if b.len() > 40 => format!("Bulk({} bytes)", b.len()),
        Value::Array(items) if items.len() > 4 => format!("Array({} items)", items.len()),
        other => format!("{other:?}"),
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6379".to_string());
    let stream = ChunkedStream::connect(&addr).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("no Redis at {addr} ({e}): start one with `redis-server --save ''`"),
        )
    })?;
    let mut client = Client::new(stream);

    // A few commands, one at a time.
    let value = b"binary\r\nvalue with a CRLF inside";
    for args in [
        &[&b"SET"[..], b"greeting", value][..],
        &[b"GET", b"greeting"],
        &[b"INCR", b"greeting"],
        &[b"GET", b"no such key"],
    ] {
        let shown: Vec<_> = args.iter().map(|a| a.escape_ascii().to_string()).collect();
        println!(
            "{:<40} -> {}",
            shown.join(" "),
            show(&client.command(args).await?)
        );
    }

    // 10 values of 1 MiB in one pipeline, then read back in one pipeline.
    let big = vec![b'x'; 1 << 20];
    let keys: Vec<String> = (0..10).map(|i| format!("big:{i}")).collect();
    let sets: Vec<[&[u8]; 3]> = keys.iter().map(|k| [b"SET", k.as_bytes(), &big]).collect();
    let sets: Vec<&[&[u8]]> = sets.iter().map(|c| &c[..]).collect();
    client.pipeline(&sets).await?;
    let gets: Vec<[&[u8]; 2]> = keys.iter().map(|k| [b"GET", k.as_bytes()]).collect();
    let gets: Vec<&[&[u8]]> = gets.iter().map(|c| &c[..]).collect();
    let replies = client.pipeline(&gets).await?;
    let total: usize = replies
        .iter()
        .map(|r| match r {
            Value::Bulk(b) => b.len(),
            _ => 0,
        })
        .sum();
    println!("pipelined GET of 10 x 1 MiB: {total} bytes back");

    // Pipelined GETs of a 64-byte value: batches of 100 commands, one write each.
    client.command(&[b"SET", b"k", &[b'v'; 64]]).await?;
    let batch: Vec<&[&[u8]]> = vec![&[b"GET", b"k"]; 100];
    let start = Instant::now();
    let mut n = 0;
    while n < 200_000 {
        for reply in client.pipeline(&batch).await? {
            assert!(matches!(reply, Value::Bulk(ref b) if b.len() == 64));
        }
        n += batch.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} pipelined GETs in {:.0} ms: {:.0} GETs/s",
        secs * 1e3,
        n as f64 / secs
    );
    println!(
        "buffered after: {} bytes; pool: {:?}",
        client.stream().buffered(),
        client.stream().pipe().pool().stats()
    );
    Ok(())
}
