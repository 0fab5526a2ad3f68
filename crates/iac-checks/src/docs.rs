//! The inputs and outputs tables of a module's README, generated from `variables.tf` and
//! `outputs.tf` and kept between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` (the
//! terraform-docs convention), so the README cannot drift from the code.

use std::path::Path;

use crate::terraform::{Module, attr, label, text};

pub const BEGIN: &str = "<!-- BEGIN_TF_DOCS -->";
pub const END: &str = "<!-- END_TF_DOCS -->";

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn description(block: &hcl::Block) -> String {
    match attr(block.body(), "description") {
        Some(hcl::Expression::String(s)) => s.clone(),
        Some(e) => text(e),
        None => String::new(),
    }
}

/// The generated section, markers included.
pub fn tables(module: &Module) -> String {
    let mut s = format!(
        "{BEGIN}\n## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n"
    );
    for v in module.blocks("variable") {
        let b = v.block;
        let ty = attr(b.body(), "type")
            .map(text)
            .unwrap_or_else(|| "any".into());
        let (default, required) = match attr(b.body(), "default") {
            Some(e) => (format!("`{}`", cell(&text(e))), "no"),
            None => ("n/a".into(), "yes"),
        };
        s += &format!(
            "| `{}` | {} | `{}` | {} | {} |\n",
            label(b, 0),
            cell(&description(b)),
            cell(&ty),
            default,
            required
        );
    }
    s += "\n## Outputs\n\n| Name | Description |\n|------|-------------|\n";
    for o in module.blocks("output") {
        s += &format!(
            "| `{}` | {} |\n",
            label(o.block, 0),
            cell(&description(o.block))
        );
    }
    s + END
}

/// Where the README of `dir` differs from the code: `Ok(None)` when in step, else the README
/// text it should have.
pub fn check(dir: &Path) -> anyhow::Result<Option<String>> {
    let module = Module::load(dir)?;
    let readme_path = dir.join("README.md");
    let readme = crate::read(&readme_path)?;
    let (Some(start), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        anyhow::bail!(
            "{}: no {BEGIN} … {END} section for the inputs and outputs tables",
            readme_path.display()
        );
    };
    anyhow::ensure!(
        start < end,
        "{}: {END} comes before {BEGIN}",
        readme_path.display()
    );
    let want = format!(
        "{}{}{}",
        &readme[..start],
        tables(&module),
        &readme[end + END.len()..]
    );
    Ok((want != readme).then_some(want))
}
