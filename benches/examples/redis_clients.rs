//! Runs one of the two redis benchmark clients alone, for instruction counts under callgrind:
//! `BATCHES=200 valgrind --tool=callgrind target/release/examples/redis_clients ours|bufreader ADDR`
//! (a redis-server at ADDR holding the key `bench:key`).

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let addr: std::net::SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: redis_clients ours|bufreader ADDR");
    let n: usize = std::env::var("BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let got = match which.as_str() {
        "ours" => rt.block_on(chunkedbuffer_benches::redis::ours(addr, n, 100)),
        "bufreader" => rt.block_on(chunkedbuffer_benches::redis::bufreader(addr, n, 100)),
        _ => panic!("ours or bufreader"),
    };
    println!("{which}: {got} bytes");
}
