#!/usr/bin/env python3
"""view-json-lint.py - checks a view's --json output (like perf's
perf_json_output_lint.py): it parses, and every object has the keys
docs/views.md documents, with the right types. Usage: view-json-lint.py VIEW < JSON"""
import json
import sys

NUM = (int, float)
TYPE = {'name': str, 'unit': str}
TOP_ROW = {'function': str, 'module': str, 'file': str, 'line': int, 'kind': str,
           'self': int, 'total': int, 'self_pct': NUM, 'total_pct': NUM}
LINE = {'line': int, 'value': int, 'pct': NUM, 'text': (str, type(None))}
CALL = {'function': str, 'module': str, 'file': str, 'line': int, 'value': int, 'pct': NUM}


def need(obj, keys, where):
    if not isinstance(obj, dict):
        raise ValueError('%s: not an object' % where)
    for k, t in keys.items():
        if k not in obj:
            raise ValueError('%s: missing key %r' % (where, k))
        if not isinstance(obj[k], t) or isinstance(obj[k], bool):
            raise ValueError('%s: key %r has type %s' % (where, k, type(obj[k]).__name__))


def types(doc, where):
    need(doc['type'], TYPE, where + '.type')
    if doc['count_type'] is not None:
        need(doc['count_type'], TYPE, where + '.count_type')


def top(doc):
    need(doc, {'view': str, 'type': dict, 'total': int, 'sort': str}, 'top')
    types(doc, 'top')
    if 'count_type' not in doc:
        raise ValueError('top: missing key count_type')
    if doc['hottest'] is not None:
        need(doc['hottest'], TOP_ROW, 'top.hottest')
    groups = [doc] if 'rows' in doc else doc['threads']
    for g in groups:
        if g is not doc:
            need(g, {'pid': int, 'tid': int, 'name': str, 'total': int, 'share_pct': NUM,
                     'rows': list}, 'top.threads[]')
        for r in g['rows']:
            need(r, TOP_ROW, 'top.rows[]')
            if r['self'] > r['total']:
                raise ValueError('top: self > total for %r' % r['function'])


def lines(doc):
    need(doc, {'view': str, 'function': str, 'module': str, 'file': str, 'first_line': int,
               'total': int, 'total_pct': NUM, 'hottest_line': int, 'lines': list}, 'lines')
    types(doc, 'lines')
    if 'source' not in doc:
        raise ValueError('lines: missing key source')
    for r in doc['lines']:
        need(r, LINE, 'lines.lines[]')


def calls(doc, key):
    need(doc, {'view': str, 'function': str, 'module': str, 'file': str, 'line': int,
               'total': int, 'total_pct': NUM, key: list,
               'root' if key == 'callers' else 'self': int,
               'root_pct' if key == 'callers' else 'self_pct': NUM}, doc.get('view', '?'))
    types(doc, doc['view'])

    def walk(rows, where):
        for r in rows:
            need(r, CALL, where)
            if key in r:
                walk(r[key], where + '.' + key + '[]')
    walk(doc[key], doc['view'] + '.' + key + '[]')


def main():
    view = sys.argv[1]
    doc = json.load(sys.stdin)
    if doc.get('view') != view:
        raise ValueError('view is %r, want %r' % (doc.get('view'), view))
    if view == 'top':
        top(doc)
    elif view == 'lines':
        lines(doc)
    elif view == 'callers':
        calls(doc, 'callers')
    elif view == 'callees':
        calls(doc, 'callees')
    else:
        raise ValueError('unknown view %r' % view)


if __name__ == '__main__':
    try:
        main()
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
        print('view-json-lint: %s' % e, file=sys.stderr)
        sys.exit(1)
