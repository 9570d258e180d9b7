//! A RESP2 server for `redis-cli` and `redis-benchmark` (see `chunkedbuffer_benches::resp_server`
//! for what it answers): `cargo run --release -p chunkedbuffer-benches --example resp_server --
//! [ours|bufreader|framed] [ADDR]` (default `ours` on 127.0.0.1:6380), on one thread as
//! redis-server is. The three readers run the same command logic.

use chunkedbuffer_benches::resp_server::{Reader, run};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let reader = args.next().unwrap_or_else(|| "ours".into());
    let Some(reader) = Reader::from_name(&reader) else {
        eprintln!("resp_server: the reader is one of ours, bufreader, framed");
        std::process::exit(2);
    };
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:6380".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!(
            "resp_server ({}) listening on {}",
            reader.name(),
            listener.local_addr()?
        );
        run(listener, reader).await
    })
}
