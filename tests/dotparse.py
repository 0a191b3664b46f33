"""A small reader for the DOT text that viz writes, so that tests check structure.

It understands what ``graphviz.Digraph`` emits: nested subgraphs, node and
edge statements with attribute lists, quoted strings (which may span
lines) and HTML labels.
"""

import html
import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|->|[{}\[\];=,]|<|[^\s{}\[\];=,"<]+', re.S)


def _tokens(text):
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if text[i] == "<":                       # an HTML label: match the angle brackets
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            yield text[i:j]
            i = j
            continue
        m = _TOKEN.match(text, i)
        yield m.group(0)
        i = m.end()


def _unquote(tok):
    if tok.startswith("<"):
        return text_of(tok)
    return tok[1:-1].replace('\\"', '"') if tok.startswith('"') else tok


def _subscript(m):
    """A typeset subscript as one writes it in text: a3 for a number, U_r otherwise."""
    inner = re.sub(r"<[^<>]*>", "", m.group(1))
    return inner if inner.isdigit() else "_" + inner


def text_of(label):
    """The text an HTML-like label shows, line by line ("\n" between lines): tags
    dropped (a typeset subscript reads a3 or U_r, as written in text), entities and
    doubled backslashes read back.  A table's rows become lines."""
    body = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    body = re.sub(r"<BR\s*/?>|</TR>", "\n", body, flags=re.I)
    body = re.sub(r"<SUB>(.*?)</SUB>", _subscript, body)
    body = re.sub(r"<[^<>]*>", "", body)
    body = html.unescape(body).replace("\\\\", "\\")
    return "\n".join(line for line in body.strip("\n").split("\n") if line.strip() or not line)


@dataclass
class Subgraph:
    name: str
    attrs: dict = field(default_factory=dict)
    nodes: list = field(default_factory=list)         # node ids declared directly inside
    subgraphs: list = field(default_factory=list)

    def all_nodes(self):
        out = list(self.nodes)
        for s in self.subgraphs:
            out += s.all_nodes()
        return out


@dataclass
class Graph(Subgraph):
    node_attrs: dict = field(default_factory=dict)    # id -> attributes
    edges: list = field(default_factory=list)         # (tail, head, attributes)

    def clusters(self):
        found, stack = [], list(self.subgraphs)
        while stack:
            s = stack.pop(0)
            if s.name.startswith("cluster"):
                found.append(s)
            stack[:0] = s.subgraphs
        return found


def parse(source):
    toks = list(_tokens(source))
    pos = 0

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def attr_list():
        attrs = {}
        assert take() == "["
        while toks[pos] != "]":
            key = _unquote(take())
            assert take() == "="
            attrs[key] = _unquote(take())
            if toks[pos] in (",", ";"):
                take()
        take()
        return attrs

    graph = Graph("root")

    def body(sub):
        assert take() == "{"
        while toks[pos] != "}":
            tok = take()
            if tok == "subgraph" or tok == "{":
                if tok == "{":
                    nonlocal_pos_back()
                    name = ""
                else:
                    name = _unquote(take()) if toks[pos] != "{" else ""
                child = Subgraph(name)
                sub.subgraphs.append(child)
                body(child)
            elif tok in ("graph", "node", "edge") and toks[pos] == "[":
                attrs = attr_list()
                if tok == "graph":
                    sub.attrs.update(attrs)
            elif toks[pos] == "=":
                take()
                sub.attrs[_unquote(tok)] = _unquote(take())
            elif toks[pos] == "->":
                take()
                head = _unquote(take())
                attrs = attr_list() if pos < len(toks) and toks[pos] == "[" else {}
                graph.edges.append((_unquote(tok), head, attrs))
            elif tok != ";":
                node = _unquote(tok)
                attrs = attr_list() if toks[pos] == "[" else {}
                graph.node_attrs.setdefault(node, {}).update(attrs)
                sub.nodes.append(node)
        take()

    def nonlocal_pos_back():
        nonlocal pos
        pos -= 1

    while toks[pos] != "{":
        take()
    body(graph)
    return graph
