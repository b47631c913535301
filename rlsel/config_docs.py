"""One-line docs of config fields, read from the `# comment` beside each field in the config file itself.

A field is `c.NAME = VALUE  # doc`, or one `NAME=VALUE,  # doc` per line inside `ConfigDict(dict(...))`;
comment-only lines right below a documented field continue its doc. The comment on the line that opens a
section documents the section. `c.X = load_config_file(HERE / "other.py")` (or `c = ...`) takes other.py's
docs under `X.`, and a comment on `c.X.Y = VALUE` in the including file is added to Y's doc as a note.
"""

from __future__ import annotations

import ast
import io
import pathlib
import tokenize

INCLUDE = "load_config_file"


def field_docs(path: str | pathlib.Path) -> dict[str, str]:
    """Dotted field (or section) name -> its doc, for the config file at `path` and the files it includes."""
    path = pathlib.Path(path)
    source = path.read_text()
    comments, code = _comment_lines(source)
    tree = ast.parse(source)
    body = next((n.body for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "get_config"), [])
    docs: dict[str, str] = {}

    def doc_at(line: int) -> str:
        parts = [comments[line]] if line in comments else []
        while parts and line + 1 in comments and line + 1 not in code:
            line += 1
            parts.append(comments[line])
        return " ".join(parts)

    def add(name: str, doc: str) -> None:
        if doc:
            docs[name] = f"{docs[name]} ({doc})" if name in docs else doc

    def walk(node: ast.expr, prefix: str, line: int) -> None:
        """Record `node`, the value assigned to `prefix` on `line`: an include, a section or a field."""
        if _call_name(node) == INCLUDE:
            docs.update({f"{prefix}{k}": v for k, v in field_docs(path.parent / _last_string(node)).items()})
        entries = _section_entries(node) or []
        starts = [key_line for _, key_line, _ in entries]
        if prefix and line not in starts:  # a field, or a section opened on a line of its own
            add(prefix.rstrip("."), doc_at(line))
        for key, key_line, value in entries:
            alone = starts.count(key_line) == 1
            walk(value, f"{prefix}{key}.", key_line if alone else -1)

    for statement in body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            name = _dotted(statement.targets[0])
            if name is not None:
                walk(statement.value, f"{name}." if name else "", statement.lineno)
    return docs


def describe_config(flag: str, path: pathlib.Path, config, docs: dict[str, str]) -> str:
    """`--config_help` text: each section's doc, then each field as its override flag with value and doc, in the
    file's order."""
    lines = [f"--{flag}: {path} (override a field with --{flag}.FIELD=VALUE)"]
    order: dict[str, int] = {}
    for i, name in enumerate(docs):  # a section sits where its first documented field does
        parts = name.split(".")
        for n in range(1, len(parts) + 1):
            order.setdefault(".".join(parts[:n]), i)

    def visit(node, prefix: str) -> None:
        for key, value in sorted(node.items(), key=lambda kv: (order.get(f"{prefix}{kv[0]}", len(order)), kv[0])):
            name = f"{prefix}{key}"
            if hasattr(value, "items"):
                lines.append(f"  [{name}] {docs.get(name, '')}".rstrip())
                visit(value, f"{name}.")
            else:
                lines.append(f"  --{flag}.{name}={value!r}\n      {docs.get(name, '(undocumented)')}")

    visit(config, "")
    return "\n".join(lines)


def _comment_lines(source: str) -> tuple[dict[int, str], set[int]]:
    """(line -> its comment's text, lines holding code)."""
    comments, code = {}, set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
        elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                tokenize.ENDMARKER):
            code.add(token.start[0])
    return comments, code


def _dotted(target: ast.expr) -> str | None:
    """`c` -> "", `c.a.b` -> "a.b"; None for any other target."""
    names = []
    while isinstance(target, ast.Attribute):
        names.append(target.attr)
        target = target.value
    return ".".join(reversed(names)) if isinstance(target, ast.Name) else None


def _call_name(node: ast.expr) -> str:
    if not isinstance(node, ast.Call):
        return ""
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def _last_string(node: ast.expr) -> str:
    strings = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    if not strings:
        raise ValueError(f"line {node.lineno}: {INCLUDE}(...) names no file as a string")
    return strings[-1]


def _section_entries(node: ast.expr) -> list[tuple[str, int, ast.expr]] | None:
    """(key, line, value) of a `ConfigDict(dict(...))`, `ConfigDict({...})` or `dict(...)`; None for a field."""
    name = _call_name(node)
    if name == "ConfigDict":
        if not node.args:
            return []
        node, name = node.args[0], _call_name(node.args[0])
    if name == "dict":
        return [(k.arg, k.lineno, k.value) for k in node.keywords if k.arg]
    if isinstance(node, ast.Dict):
        return [(k.value, k.lineno, v) for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)]
    return None
