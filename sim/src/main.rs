//! `agora-sim`: runs the simulation over many seeds, or replays one.

use std::process::ExitCode;
use std::time::Instant;

use agora_sim::{Options, Report, run};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Runs the ledger under seeded faults and checks its invariants after every step")]
struct Args {
    /// How many seeds to run, from `--first`.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    first: u64,
    /// Replays this one seed and prints every step.
    #[arg(long)]
    seed: Option<u64>,
    /// Steps per seed.
    #[arg(long, default_value_t = Options::default().steps)]
    steps: usize,
    /// Service instances on the one store.
    #[arg(long, default_value_t = 1)]
    instances: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = Options {
        steps: args.steps,
        instances: args.instances.max(1),
        ..Options::default()
    };
    if let Some(seed) = args.seed {
        let report = run(seed, &options);
        for line in &report.journal {
            println!("{line}");
        }
        summarize(&[&report]);
        return if report.failure.is_some() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    let started = Instant::now();
    let mut reports = Vec::new();
    let mut failures = 0;
    for seed in args.first..args.first + args.seeds {
        let mut report = run(seed, &options);
        // The journal is for replays; a failing seed is replayed with --seed.
        report.journal = Vec::new();
        if let Some((step, broken)) = &report.failure {
            failures += 1;
            println!(
                "seed {seed}: step {step}: {} broken: {}\n  replay: cargo run --release -p agora-sim -- --seed {seed} --steps {}",
                broken.invariant, broken.detail, args.steps
            );
        }
        reports.push(report);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let borrowed: Vec<&Report> = reports.iter().collect();
    summarize(&borrowed);
    println!(
        "{} seeds in {elapsed:.1} s ({:.1} seeds/s), {failures} failed",
        reports.len(),
        reports.len() as f64 / elapsed
    );
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn summarize(reports: &[&Report]) {
    let total = |field: fn(&Report) -> u64| reports.iter().map(|report| field(report)).sum::<u64>();
    println!(
        "steps {}, events {}, commands recorded {}, replayed {}, refused {}, failed {}, restarts {}",
        reports.iter().map(|report| report.steps).sum::<usize>(),
        total(Report::events),
        total(|report| report.recorded),
        total(|report| report.replayed),
        total(|report| report.refused),
        total(|report| report.failed),
        total(|report| report.restarts),
    );
    let mut injected = std::collections::BTreeMap::new();
    for report in reports {
        for (fault, count) in &report.injected {
            *injected.entry(*fault).or_insert(0) += count;
        }
    }
    println!("faults injected: {}", total(Report::faults));
    for (fault, count) in injected {
        println!("  {:>8}  {}", count, fault.name());
    }
}
