// Rust: std::env::var. The runtime contract is in README.
use std::io::Write;
use std::process::{exit, Command};

fn main() {
    match std::env::var("RT_SECRET") {
        Ok(v) if !v.is_empty() => {
            println!("{}", v);
            std::io::stdout().flush().expect("flush");
            let ok = Command::new("sleep").arg("1").status().map(|s| s.success()).unwrap_or(false);
            exit(if ok { 0 } else { 4 });
        }
        _ => {
            eprintln!("rt: RT_SECRET missing");
            exit(3);
        }
    }
}
