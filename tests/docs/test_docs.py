#!/usr/bin/python3
"""Docs checked against the source and the binary (a second or two).

    test_docs.py [CHECK ...]     # every check, or the named ones

Each check prints its findings and ends with "ok" or "FAIL"; the lists it
compares (config keys, options, exit codes) are derived from lib/, app/ and
`pmcabc --help`, never copied here, so a new key or option fails the test
until it is documented.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import h5py

SRC = os.environ["PMC_SOURCE_DIR"]
PMCABC = os.environ["PMCABC"]
MPIEXEC = os.environ.get("PMC_MPIEXEC", "mpiexec.mpich")
NPFLAG = os.environ.get("PMC_NPFLAG", "-n")
# Top-level directories of the repository: a `code span` starting with one of
# them is a path that must exist.
TOP_DIRS = ("app", "lib", "docs", "jobs", "tools", "tests", "examples", "include", "cmake")


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def markdown_files():
    docs = sorted("docs/" + f for f in os.listdir(os.path.join(SRC, "docs")) if f.endswith(".md"))
    return ["README.md"] + docs


def prose_lines(text):
    """(line number, line) outside fenced code blocks."""
    fence = None
    for no, line in enumerate(text.split("\n"), 1):
        m = re.match(r"\s*(```+|~~~+)", line)
        if m:
            if fence is None:
                fence = m.group(1)[0] * 3
            elif m.group(1).startswith(fence):
                fence = None
            continue
        if fence is None:
            yield no, line


def without_code_spans(line):
    return re.sub(r"(`+).*?\1", "", line)


def anchors(text):
    """GitHub's heading ids: markup dropped, lower case, characters other
    than letters, digits, '_', '-' and ' ' removed, spaces to '-', '-N'
    appended to repeats."""
    seen, out = {}, set()
    for _, line in prose_lines(text):
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))
        title = re.sub(r"[`*]", "", title)
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else "%s-%d" % (slug, n))
    return out


def run_pmcabc(args, cwd=None):
    res = subprocess.run([MPIEXEC, NPFLAG, "1", PMCABC] + args, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    return res.returncode, res.stdout


def help_text():
    rc, out = run_pmcabc(["--help"])
    if rc != 0:
        raise SystemExit("FAIL: pmcabc --help exited with %d:\n%s" % (rc, out))
    return out


def help_block(text, title):
    """Lines of the `--help` block that starts with the line `title`."""
    parts = ("\n" + text).split("\n" + title + "\n", 1)
    if len(parts) != 2:
        raise SystemExit("FAIL: pmcabc --help has no line %r" % title)
    block = parts[1]
    return block.split("\n\n", 1)[0].split("\n")


def md_table(text, first_header):
    """Rows (lists of cells) of the first table whose header starts with
    `| first_header |`."""
    rows, inside = [], False
    for line in text.split("\n"):
        if not inside:
            inside = line.startswith("| %s |" % first_header)
            continue
        if not line.startswith("|"):
            break
        if not re.match(r"\|\s*-", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def c_source_code(rel):
    """The C file without comments and string literals, so that a mention
    there does not count as use."""
    text = re.sub(r"/\*.*?\*/", " ", read(rel), flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


# ---- the checks -------------------------------------------------------------

def check_links():
    """Every relative link of README.md and docs/*.md reaches a file or
    directory, and its #anchor a heading of the target."""
    problems, count = [], 0
    for doc in markdown_files():
        text = read(doc)
        base = os.path.dirname(os.path.join(SRC, doc))
        for no, line in prose_lines(text):
            for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", without_code_spans(line)):
                if re.match(r"[a-z]+:", target):
                    continue  # http:, https:, mailto:
                count += 1
                path, _, anchor = target.partition("#")
                full = os.path.normpath(os.path.join(base, path)) if path else os.path.join(SRC, doc)
                if not os.path.exists(full):
                    problems.append("%s:%d: link %s: no such file" % (doc, no, target))
                elif anchor:
                    if not full.endswith(".md"):
                        problems.append("%s:%d: link %s: anchor into a non-markdown file" % (doc, no, target))
                    elif anchor not in anchors(open(full, encoding="utf-8").read()):
                        problems.append("%s:%d: link %s: no heading with that anchor in %s"
                                        % (doc, no, target, os.path.relpath(full, SRC)))
    print("  %d relative links" % count)
    return problems


def check_paths():
    """Every `code span` naming a repository path (app/..., lib/..., docs/...)
    outside code blocks exists."""
    problems, count = [], 0
    for doc in markdown_files():
        for no, line in prose_lines(read(doc)):
            for span in re.findall(r"`([^`\s]+)`", line):
                if span.split("/")[0] not in TOP_DIRS or "/" not in span:
                    continue
                if re.search(r"[<>*$]|NNNN|\.\.\.|[A-Z]{3,}", span):
                    continue  # a pattern, not a path
                count += 1
                if not os.path.exists(os.path.join(SRC, span.split(":")[0])):
                    problems.append("%s:%d: `%s`: no such file or directory" % (doc, no, span))
    print("  %d paths" % count)
    return problems


def parser_table():
    """[(section, key, use flags)] of the key table in lib/pmc_config.c, in
    order; the flags are the table's `use` field (REQUIRED, RESUME_SAFE)."""
    src = read("lib/pmc_config.c")
    table = re.search(r"static const key_desc keys\[\] = \{(.*?)\n\};", src, re.S)
    if not table:
        raise SystemExit("FAIL: lib/pmc_config.c: no `static const key_desc keys[]` table")
    return [(s, k, set(re.findall(r"[A-Z_]+", u))) for s, k, u in
            re.findall(r'\{"(\w+)", "(\w+)", KEY_\w+, ([A-Z_ |0]+),', table.group(1))]


def parser_keys():
    """[(section, key, required)] of the key table in lib/pmc_config.c, in order."""
    return [(s, k, "REQUIRED" in u) for s, k, u in parser_table()]


def parser_sections():
    src = read("lib/pmc_config.c")
    return re.findall(r'"(\w+)"', re.search(r"sections\[\] = \{(.*?)\};", src, re.S).group(1))


# The smallest run: the required keys, the data file the model needs, N = 2,
# one generation.
MINIMAL = {("run", "seed"): "1", ("run", "particles"): "2", ("run", "generations"): "1",
           ("epsilon", "initial"): "inf", ("epsilon", "quantile"): "0.5",
           ("model", "name"): "gaussian",
           ("model", "data"): os.path.join(SRC, "jobs", "data", "heights.csv")}


def run_minimal(tmp):
    """Runs MINIMAL in tmp without checkpoint_dir, so the default directory
    is made there; returns that directory."""
    text = ""
    for section in ("run", "epsilon", "model"):
        text += "[%s]\n" % section + "".join(
            "%s = %s\n" % (k, v) for (s, k), v in MINIMAL.items() if s == section)
    text += "[prior]\nmu = uniform(150, 200)\nsigma = uniform(5, 25)\n"
    with open(os.path.join(tmp, "minimal.ini"), "w") as f:
        f.write(text)
    rc, out = run_pmcabc(["run", "minimal.ini", "--quiet"], cwd=tmp)
    if rc != 0:
        raise SystemExit("FAIL: a minimal run exited with %d:\n%s" % (rc, out))
    return os.path.join(tmp, "checkpoints")


def effective_defaults(keys):
    """({(section, key): value}, keys it set): the effective config
    (docs/config.md) of MINIMAL as the binary stores it in gen-0000.h5, and
    the keys MINIMAL sets."""
    required = {(s, k) for s, k, r in keys if r}
    if not required <= set(MINIMAL):
        raise SystemExit("FAIL: required keys %s: test_docs.py's MINIMAL does not set them"
                         % sorted(required - set(MINIMAL)))
    with tempfile.TemporaryDirectory() as tmp:
        with h5py.File(os.path.join(run_minimal(tmp), "gen-0000.h5"), "r") as f:
            stored = f.attrs["config"]
    stored = stored.decode() if isinstance(stored, bytes) else str(stored)
    values, section = {}, None
    for line in stored.split("\n"):
        m = re.match(r"\[(\w+)\]$", line)
        if m:
            section = m.group(1)
        elif "=" in line:
            k, v = (p.strip() for p in line.split("=", 1))
            values[(section, k)] = v
    return values, set(MINIMAL)


def config_md_tables():
    """{section: {key: default}} of the key tables of docs/config.md (the
    first table under each "### `[section]`" heading)."""
    text = read("docs/config.md")
    out = {}
    for m in re.finditer(r"^### `\[(\w+)\]`\n(.*?)(?=^#)", text, re.S | re.M):
        rows = md_table(m.group(2), "key")
        if not rows:
            continue
        header = [c.strip() for c in re.search(r"^\| key \|.*$", m.group(2), re.M).group(0)
                  .strip("|").split("|")]
        col = header.index("default")
        out[m.group(1)] = {re.sub(r"`", "", r[0]): re.sub(r"`", "", r[col]) for r in rows
                           if r[0].startswith("`")}
    return out


def check_config_keys():
    """The keys of docs/config.md's tables are the parser's, each with the
    default the binary fills in ("required" for a required key, "none" for a
    key left out of the effective config when unset)."""
    keys = parser_keys()
    defaults, set_by_test = effective_defaults(keys)
    tables = config_md_tables()
    problems = []
    for section, key, required in keys:
        doc = tables.get(section, {})
        if key not in doc:
            problems.append("docs/config.md: [%s] %s: accepted by the parser, not in the table of "
                            "### `[%s]`" % (section, key, section))
            continue
        if required:
            expected = "required"
        elif (section, key) in set_by_test:
            continue  # set by the minimal run (the model needs it): default not observable
        else:
            expected = defaults.get((section, key), "none")
        if doc[key] != expected:
            problems.append("docs/config.md: [%s] %s: default column says %r, the binary's is %r"
                            % (section, key, doc[key], expected))
    accepted = {(s, k) for s, k, _ in keys}
    for section, rows in tables.items():
        for key in rows:
            if (section, key) not in accepted:
                problems.append("docs/config.md: [%s] %s: documented, but lib/pmc_config.c does "
                                "not accept it" % (section, key))
    print("  %d parser keys in %d sections" % (len(keys), len({s for s, _, _ in keys})))
    return problems


def check_config_messages():
    """The "expected one of" lists of docs/config.md's example messages are
    the parser's (key table order, section table order)."""
    keys, problems = parser_keys(), []
    text = read("docs/config.md")
    examples = re.findall(r"\[(\w+)\] \w+: [^:\n]*: unknown key: expected one of ([^\n`]*)", text)
    for section, listed in examples:
        expected = ", ".join(k for s, k, _ in keys if s == section)
        if listed.strip() != expected:
            problems.append("docs/config.md: unknown-key message of [%s] lists %r, the parser "
                            "says %r" % (section, listed.strip(), expected))
    sections = ", ".join("[%s]" % s for s in parser_sections())
    for listed in re.findall(r"unknown section: expected one of ([^\n`]*)", text):
        if listed.strip() != sections:
            problems.append("docs/config.md: unknown-section message lists %r, the parser says %r"
                            % (listed.strip(), sections))
    if not examples:
        problems.append("docs/config.md: no example of the unknown-key message")
    return problems


def check_resume_keys():
    """docs/config.md's table of keys a resume may change is the key table's
    RESUME_SAFE keys."""
    safe = {"%s.%s" % (s, k) for s, k, u in parser_table() if "RESUME_SAFE" in u}
    if not safe:
        return ["lib/pmc_config.c: no RESUME_SAFE key in the key table"]
    section = read("docs/config.md").split("## Resuming and changing the config", 1)[1]
    documented = {r[0].strip("`") for r in md_table(section, "key")}
    problems = []
    for k in sorted(safe - documented):
        problems.append("docs/config.md: %s may change on resume (RESUME_SAFE), not in the "
                        "table" % k)
    for k in sorted(documented - safe):
        problems.append("docs/config.md: %s listed as safe to change on resume, but the key "
                        "table refuses it" % k)
    return problems


def check_options():
    """Every command and option of `pmcabc --help` is in docs/usage.md; every
    option app/main.c accepts is in --help; the synopsis is the same."""
    text, usage, problems = help_text(), read("docs/usage.md"), []
    options = set()
    for line in help_block(text, "Options:") + help_block(text, "Commands:"):
        m = re.match(r"  (\S.*?)(?:\s{2,}|$)", line)
        if m:
            options.update(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*|[a-z]+(?= [A-Z]))", m.group(1)))
    for opt in sorted(options):
        if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), usage):
            problems.append("docs/usage.md: %s (pmcabc --help) is not documented" % opt)
    main_c = read("app/main.c")
    for opt in sorted(set(re.findall(r'strn?cmp\((?:arg|cmd), "(-[\w-]+)=?"', main_c))):
        if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), text):
            problems.append("pmcabc --help: %s (accepted by app/main.c) is not listed" % opt)
    synopsis = " ".join(" ".join(help_block(text, "Usage:")).split())
    fence = re.search(r"## Command line\n+```\n(.*?)```", usage, re.S)
    if not fence or " ".join(fence.group(1).split()) != synopsis:
        problems.append("docs/usage.md: the synopsis under '## Command line' differs from "
                        "pmcabc --help's Usage: %s" % synopsis)
    print("  %d commands and options: %s" % (len(options), " ".join(sorted(options))))
    return problems


def check_exit_codes():
    """docs/exit-codes.md exists and its table has the codes of
    lib/pmc_error.h and of `pmcabc --help`; no other page repeats the table."""
    problems = []
    header = read("lib/pmc_error.h")
    source = sorted(int(v) for v in re.findall(r"PMC_EXIT_\w+ = (\d+)", header))
    helped = sorted(int(m.group(1)) for line in help_block(help_text(), "Exit codes:")
                    for m in [re.match(r"  (\d+)\s", line)] if m)
    if not os.path.exists(os.path.join(SRC, "docs/exit-codes.md")):
        return ["docs/exit-codes.md: missing (linked from lib/pmc_error.h and the docs)"]
    documented = sorted(int(r[0]) for r in md_table(read("docs/exit-codes.md"), "code"))
    if documented != source:
        problems.append("docs/exit-codes.md: codes %s, lib/pmc_error.h PMC_EXIT_*: %s"
                        % (documented, source))
    if helped != source:
        problems.append("pmcabc --help: exit codes %s, lib/pmc_error.h PMC_EXIT_*: %s" % (helped, source))
    for doc in markdown_files():
        if doc != "docs/exit-codes.md" and md_table(read(doc), "code"):
            problems.append("%s: has its own exit-code table: link to docs/exit-codes.md instead" % doc)
    print("  codes %s" % source)
    return problems


def check_layout():
    """README's Layout names the lib/ modules that include mpi.h and hdf5.h."""
    problems = []
    readme = " ".join(read("README.md").split())
    for header in ("mpi.h", "hdf5.h"):
        users = sorted({f.rsplit(".", 1)[0] for f in os.listdir(os.path.join(SRC, "lib"))
                        if f.endswith((".c", ".h"))
                        and re.search(r"#include <%s>" % re.escape(header), c_source_code("lib/" + f))})
        m = re.search(r"`%s` (?:is included )?only by ((?:`\w+`(?:, | and )?)+)" % re.escape(header), readme)
        named = sorted(re.findall(r"`(\w+)`", m.group(1))) if m else None
        if named != users:
            problems.append("README.md, Layout: expected \"`%s` ... only by %s\", found %s"
                            % (header, ", ".join("`%s`" % u for u in users),
                               named if named is not None else "no such sentence"))
    return problems


def check_models():
    """Every model of lib/pmc_model.c's table has its section in
    docs/models.md (a "## name" heading, or a "- `name`:" item for the
    test-only ones) giving its parameter count and naming each of its keys."""
    raw = read("lib/pmc_model.c")
    table = re.search(r"static const model_ops models\[\] = \{(.*?)\n\};", raw, re.S)
    if not table:
        return ["lib/pmc_model.c: no `static const model_ops models[]` table"]
    models = re.findall(r'\{"(\w+)", (\d+), [^,]*(?:"[^"]*")?[^,]*, (\w+),', table.group(1))
    text, problems = read("docs/models.md"), []
    for name, n_params, key_fn in models:
        m = re.search(r"^## %s\n(.*?)(?=^## |\Z)" % name, text, re.S | re.M) or \
            re.search(r"^- `%s`:(.*?)(?=^- |\Z)" % name, text, re.S | re.M)
        if not m:
            problems.append("docs/models.md: model %s (lib/pmc_model.c) has no section" % name)
            continue
        body = m.group(1)
        count = re.search(r"Parameters \((\d+)", body)
        if n_params != "0" and count and count.group(1) != n_params:
            problems.append("docs/models.md: %s: %s parameters, lib/pmc_model.c says %s"
                            % (name, count.group(1), n_params))
        fn = re.search(r"static int %s\(.*?\n\}\n" % key_fn, raw, re.S)
        keys = re.findall(r'strcmp\(kv->key, "(\w+)"\)', fn.group(0)) if fn else []
        for key in keys:
            if not re.search(r"`%s(`| =)" % key, body):
                problems.append("docs/models.md: %s: key %s (%s in lib/pmc_model.c) not documented"
                                % (name, key, key_fn))
    print("  %d models: %s" % (len(models), " ".join(n for n, _, _ in models)))
    return problems


def check_priors_distances():
    """docs/config.md's prior table has exactly the specs of lib/pmc_prior.c,
    and its distance list exactly the names of lib/pmc_distance.c."""
    text, problems = read("docs/config.md"), []
    specs = re.findall(r'\{"\w+", \d+, "([^"]+)"\}', read("lib/pmc_prior.c"))
    documented = [r[0].strip("`") for r in md_table(text, "spec")]
    if documented != specs:
        problems.append("docs/config.md: prior specs %s, lib/pmc_prior.c: %s" % (documented, specs))
    names = re.findall(r'"(\w+)"', re.search(r"kind_names\[\] = \{(.*?)\};",
                                             read("lib/pmc_distance.c")).group(1))
    section = text.split("### `[distance]`", 1)[1].split("\n### ", 1)[0]
    items = re.findall(r"^- `(\w+)`:", section, re.M)
    if items != names:
        problems.append("docs/config.md: [distance] items %s, lib/pmc_distance.c: %s" % (items, names))
    row = [r for r in md_table(section, "key") if r[0] == "`name`"]
    listed = re.findall(r"`(\w+)`", row[0][-1]) if row else []
    if listed != names:
        problems.append("docs/config.md: [distance] name row lists %s, lib/pmc_distance.c: %s"
                        % (listed, names))
    print("  %d prior specs, %d distances" % (len(specs), len(names)))
    return problems


def json_keys(value, where=""):
    """The paths (.a.b[].c) of every key in a JSON value; a list contributes
    its first element as path[]."""
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out |= {"%s.%s" % (where, k)} | json_keys(v, "%s.%s" % (where, k))
    elif isinstance(value, list) and value:
        out |= json_keys(value[0], where + "[]")
    return out


def check_inspect_json():
    """The example of `pmcabc inspect --json` in docs/postprocessing.md has
    the keys of the binary's output for a finished run."""
    text = read("docs/postprocessing.md").split("### `--json`", 1)[1]
    block = re.search(r"```json\n(.*?)```", text, re.S)
    if not block:
        return ["docs/postprocessing.md: no ```json example under ### `--json`"]
    example = json.loads(re.sub(r",\s*\.\.\.\s*\]", "]", block.group(1)))
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = run_pmcabc(["inspect", run_minimal(tmp), "--json"])
    if rc != 0:
        return ["pmcabc inspect --json exited with %d: %s" % (rc, out)]
    doc_keys, bin_keys = json_keys(example), json_keys(json.loads(out))
    problems = ["docs/postprocessing.md: --json example has %s, the binary does not print it" % k
                for k in sorted(doc_keys - bin_keys)]
    problems += ["docs/postprocessing.md: --json example lacks %s, which the binary prints" % k
                 for k in sorted(bin_keys - doc_keys)]
    print("  %d keys" % len(bin_keys))
    return problems


CHECKS = {
    "links": check_links,
    "paths": check_paths,
    "config_keys": check_config_keys,
    "config_messages": check_config_messages,
    "resume_keys": check_resume_keys,
    "options": check_options,
    "exit_codes": check_exit_codes,
    "layout": check_layout,
    "models": check_models,
    "priors_distances": check_priors_distances,
    "inspect_json": check_inspect_json,
}


def main(names):
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        print("test_docs.py: unknown check %s: expected one of %s" % (", ".join(unknown), ", ".join(CHECKS)))
        return 2
    failed = 0
    for name in names or CHECKS:
        print("%s: %s" % (name, " ".join(CHECKS[name].__doc__.split())))
        problems = CHECKS[name]()
        for p in problems:
            print("  " + p)
        print("  " + ("FAIL" if problems else "ok"))
        failed += bool(problems)
    print("%d of %d checks failed" % (failed, len(names or CHECKS)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
