//! The dependency graph between projects: `A depends_on B` is an edge A → B.
//!
//! Invariant: a [`Graph`] only holds edges between known projects; unknown references and
//! cycles are reported as diagnostics by [`Graph::build`] and never make it into `order`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, suggest};

#[derive(Debug, Clone)]
pub struct Graph {
    /// `deps[i]`: the projects project `i` depends on (indices into `catalog.projects`).
    pub deps: Vec<Vec<usize>>,
    /// `dependents[i]`: the projects that depend on project `i`.
    pub dependents: Vec<Vec<usize>>,
    /// A topological order, dependencies first; ties broken by id. Empty when cyclic.
    pub order: Vec<usize>,
}

impl Graph {
    /// Builds the graph, reporting unknown dependencies and every cycle.
    pub fn build(catalog: &Catalog) -> (Graph, Vec<Diagnostic>) {
        let n = catalog.projects.len();
        let mut deps = vec![Vec::new(); n];
        let mut dependents = vec![Vec::new(); n];
        let mut diags = Vec::new();
        for (i, p) in catalog.projects.iter().enumerate() {
            for dep in &p.manifest.depends_on {
                let line = p.line(dep.span());
                match catalog.position(dep.get_ref()) {
                    Some(j) if deps[i].contains(&j) => diags.push(Diagnostic::new(
                        &p.manifest_path,
                        line,
                        format!("dependency `{}` is listed twice", dep.get_ref()),
                    )),
                    Some(j) => {
                        deps[i].push(j);
                        dependents[j].push(i);
                    }
                    None => {
                        let mut message = format!("unknown dependency `{}`", dep.get_ref());
                        if let Some(s) = suggest(dep.get_ref(), catalog.ids()) {
                            message.push_str(&format!(" (did you mean `{s}`?)"));
                        }
                        diags.push(Diagnostic::new(&p.manifest_path, line, message));
                    }
                }
            }
        }
        let mut graph = Graph {
            deps,
            dependents,
            order: Vec::new(),
        };
        let cycles = graph.cycles();
        for cycle in &cycles {
            // Report at the edge that closes the cycle, in the first project of it.
            let first = &catalog.projects[cycle[0]];
            let next = catalog.projects[cycle[1 % cycle.len()]].id();
            let line = first
                .manifest
                .depends_on
                .iter()
                .find(|d| d.get_ref() == next)
                .map(|d| first.line(d.span()))
                .unwrap_or(1);
            let path: Vec<&str> = cycle
                .iter()
                .chain(std::iter::once(&cycle[0]))
                .map(|&i| catalog.projects[i].id())
                .collect();
            diags.push(Diagnostic::new(
                &first.manifest_path,
                line,
                format!("dependency cycle: {}", path.join(" -> ")),
            ));
        }
        if cycles.is_empty() {
            graph.order = graph.topological_order();
        }
        (graph, diags)
    }

    /// Kahn's algorithm; dependencies come before dependents, smaller index first on ties.
    fn topological_order(&self) -> Vec<usize> {
        let n = self.deps.len();
        let mut remaining: Vec<usize> = self.deps.iter().map(Vec::len).collect();
        let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
            .filter(|&i| remaining[i] == 0)
            .map(std::cmp::Reverse)
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(std::cmp::Reverse(i)) = ready.pop() {
            order.push(i);
            for &d in &self.dependents[i] {
                remaining[d] -= 1;
                if remaining[d] == 0 {
                    ready.push(std::cmp::Reverse(d));
                }
            }
        }
        order
    }

    /// Every elementary cycle's representative: one per strongly connected component with
    /// more than one node (or a self-loop), as a path starting at its smallest index.
    fn cycles(&self) -> Vec<Vec<usize>> {
        let sccs = tarjan(&self.deps);
        let mut cycles = Vec::new();
        for scc in sccs {
            let is_cycle = scc.len() > 1 || self.deps[scc[0]].contains(&scc[0]);
            if !is_cycle {
                continue;
            }
            let start = *scc.iter().min().expect("non-empty component");
            cycles.push(self.path_back_to(start, &scc));
        }
        cycles.sort();
        cycles
    }

    /// A shortest path start → … → start inside one component (breadth-first).
    fn path_back_to(&self, start: usize, scc: &[usize]) -> Vec<usize> {
        let in_scc = |i: usize| scc.contains(&i);
        let mut prev: std::collections::HashMap<usize, usize> = Default::default();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(i) = queue.pop_front() {
            let mut next: Vec<usize> = self.deps[i]
                .iter()
                .copied()
                .filter(|&j| in_scc(j))
                .collect();
            next.sort();
            for j in next {
                if j == start {
                    let mut path = vec![i];
                    let mut cur = i;
                    while cur != start {
                        cur = prev[&cur];
                        path.push(cur);
                    }
                    path.reverse();
                    return path;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(j) {
                    e.insert(i);
                    queue.push_back(j);
                }
            }
        }
        vec![start]
    }

    /// `roots` plus everything that depends on them, transitively.
    pub fn with_dependents(&self, roots: &[usize]) -> Vec<usize> {
        self.closure(roots, &self.dependents)
    }

    /// `roots` plus everything they depend on, transitively.
    pub fn with_dependencies(&self, roots: &[usize]) -> Vec<usize> {
        self.closure(roots, &self.deps)
    }

    fn closure(&self, roots: &[usize], edges: &[Vec<usize>]) -> Vec<usize> {
        let mut seen = vec![false; edges.len()];
        let mut stack: Vec<usize> = roots.to_vec();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(edges[i].iter().copied());
            }
        }
        (0..edges.len()).filter(|&i| seen[i]).collect()
    }
}

/// Tarjan's strongly connected components, iterative so deep graphs cannot overflow the stack.
fn tarjan(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut sccs = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut child)) = call.last_mut() {
            if *child == 0 {
                index[v] = counter;
                low[v] = counter;
                counter += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(*child) {
                *child += 1;
                if index[w] == usize::MAX {
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut scc = Vec::new();
                loop {
                    let w = stack.pop().expect("tarjan stack");
                    on_stack[w] = false;
                    scc.push(w);
                    if w == v {
                        break;
                    }
                }
                sccs.push(scc);
            }
        }
    }
    sccs
}

/// Output formats of `portfolio graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Dot,
    Mermaid,
    Json,
}

#[derive(Serialize)]
struct JsonNode<'a> {
    id: &'a str,
    kind: &'a str,
    lifecycle: &'a str,
    tier: u8,
    depends_on: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonGraph<'a> {
    nodes: Vec<JsonNode<'a>>,
    edges: Vec<[&'a str; 2]>,
    order: Vec<&'a str>,
}

/// Renders the graph. Nodes appear in topological order (dependencies first).
pub fn render(catalog: &Catalog, graph: &Graph, format: Format) -> String {
    let id = |i: usize| catalog.projects[i].id();
    let mut out = String::new();
    match format {
        Format::Text => {
            for &i in &graph.order {
                let deps: Vec<&str> = graph.deps[i].iter().map(|&j| id(j)).collect();
                let p = &catalog.projects[i];
                if deps.is_empty() {
                    let _ = writeln!(out, "{} [{}]", p.id(), p.lifecycle());
                } else {
                    let _ = writeln!(out, "{} [{}] -> {}", p.id(), p.lifecycle(), deps.join(", "));
                }
            }
        }
        Format::Dot => {
            out.push_str(
                "digraph portfolio {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n",
            );
            for &i in &graph.order {
                let p = &catalog.projects[i];
                let style = if p.lifecycle().is_built() {
                    "solid"
                } else {
                    "dashed"
                };
                let _ = writeln!(
                    out,
                    "  \"{}\" [label=\"{}\\n{}\", style=\"rounded,{style}\"];",
                    p.id(),
                    p.id(),
                    p.lifecycle()
                );
            }
            for &i in &graph.order {
                for &j in &graph.deps[i] {
                    let _ = writeln!(out, "  \"{}\" -> \"{}\";", id(i), id(j));
                }
            }
            out.push_str("}\n");
        }
        Format::Mermaid => {
            out.push_str("graph LR\n");
            let node = |i: usize| id(i).replace(['/', '-', '.'], "_");
            for &i in &graph.order {
                let _ = writeln!(out, "  {}[\"{}\"]", node(i), id(i));
            }
            for &i in &graph.order {
                for &j in &graph.deps[i] {
                    let _ = writeln!(out, "  {} --> {}", node(i), node(j));
                }
            }
        }
        Format::Json => {
            let nodes = graph
                .order
                .iter()
                .map(|&i| {
                    let p = &catalog.projects[i];
                    JsonNode {
                        id: p.id(),
                        kind: p.kind().as_str(),
                        lifecycle: p.lifecycle().as_str(),
                        tier: *p.manifest.tier.get_ref(),
                        depends_on: graph.deps[i].iter().map(|&j| id(j)).collect(),
                    }
                })
                .collect();
            let edges = graph
                .order
                .iter()
                .flat_map(|&i| graph.deps[i].iter().map(move |&j| [id(i), id(j)]))
                .collect();
            let order = graph.order.iter().map(|&i| id(i)).collect();
            out = serde_json::to_string_pretty(&JsonGraph {
                nodes,
                edges,
                order,
            })
            .expect("graph serialises");
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[&[usize]]) -> Graph {
        let deps: Vec<Vec<usize>> = edges.iter().map(|e| e.to_vec()).collect();
        let mut dependents = vec![Vec::new(); deps.len()];
        for (i, ds) in deps.iter().enumerate() {
            for &d in ds {
                dependents[d].push(i);
            }
        }
        Graph {
            deps,
            dependents,
            order: Vec::new(),
        }
    }

    #[test]
    fn topological_order_puts_dependencies_first() {
        // 0 -> 1 -> 2, 3 -> 1
        let g = graph(&[&[1], &[2], &[], &[1]]);
        assert_eq!(g.topological_order(), vec![2, 1, 0, 3]);
    }

    #[test]
    fn finds_each_cycle_once_starting_at_smallest_node() {
        // 0 -> 1 -> 2 -> 0, 3 -> 3, 4 -> 0
        let g = graph(&[&[1], &[2], &[0], &[3], &[0]]);
        assert_eq!(g.cycles(), vec![vec![0, 1, 2], vec![3]]);
    }

    #[test]
    fn acyclic_graph_has_no_cycles() {
        let g = graph(&[&[1, 2], &[2], &[]]);
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn closures_follow_edges_transitively() {
        // 0 -> 1 -> 2, 3 -> 2
        let g = graph(&[&[1], &[2], &[], &[2]]);
        assert_eq!(g.with_dependents(&[2]), vec![0, 1, 2, 3]);
        assert_eq!(g.with_dependents(&[1]), vec![0, 1]);
        assert_eq!(g.with_dependencies(&[0]), vec![0, 1, 2]);
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let n = 100_000;
        let edges: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        let refs: Vec<&[usize]> = edges.iter().map(|e| e.as_slice()).collect();
        let g = graph(&refs);
        assert!(g.cycles().is_empty());
        assert_eq!(g.topological_order().first(), Some(&(n - 1)));
    }
}
