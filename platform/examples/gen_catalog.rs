//! Writes a synthetic catalog for the benchmark: `gen_catalog DIR PROJECTS EDGES`.
//! Each project depends on earlier ones only (so the graph is acyclic) and its README links
//! to the README of its first dependency (so link checking has work to do).

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(1).expect("usage: gen_catalog DIR PROJECTS EDGES"));
    let projects: usize = args.get(2).map_or(5000, |s| s.parse().expect("PROJECTS"));
    let edges: usize = args.get(3).map_or(20_000, |s| s.parse().expect("EDGES"));
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let id = |i: usize| format!("d{}/p{i}", i % 50);
    let mut written = 0;
    for i in 0..projects {
        let mut deps: Vec<usize> = Vec::new();
        let want = (edges - written).div_ceil(projects - i).min(i);
        while deps.len() < want {
            let d = next(i);
            if !deps.contains(&d) {
                deps.push(d);
            }
        }
        written += deps.len();
        let pid = id(i);
        let (domain, name) = pid.split_once('/').unwrap();
        let pdir = dir.join("projects").join(domain).join(name);
        fs::create_dir_all(&pdir).unwrap();
        let dep_list: Vec<String> = deps.iter().map(|&d| format!("\"{}\"", id(d))).collect();
        let mut toml = String::new();
        let _ = write!(
            toml,
            "id = \"{pid}\"\nname = \"{name}\"\ndomain = \"{domain}\"\nsummary = \"Synthetic project {i}\"\n\
             owner = \"team-{}\"\ntier = {}\nlifecycle = \"planned\"\nkind = \"rust-service\"\n\
             depends_on = [{}]\nrto = \"4h\"\n\n[[env]]\nname = \"P{i}_ADDR\"\ndefault = \"127.0.0.1:{}\"\n",
            i % 20,
            i % 3 + 1,
            dep_list.join(", "),
            10_000 + i
        );
        fs::write(pdir.join("project.toml"), toml).unwrap();
        let link = deps
            .first()
            .map(|&d| format!("Builds on [{}](../../{}/README.md).\n", id(d), id(d)))
            .unwrap_or_default();
        fs::write(
            pdir.join("README.md"),
            format!("# {name}\n\nPlanned.\n\n{link}"),
        )
        .unwrap();
    }
    eprintln!(
        "wrote {projects} projects and {written} edges under {}",
        dir.display()
    );
}
