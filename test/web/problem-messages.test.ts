import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import common from '../../src/web/client/messages/common';
import problems from '../../src/web/client/messages/problems';
import { problemText, type Lang, type Problem, type Say } from '../../src/web/client/problem-text';

// Every problem code the server can answer has a message in both languages, and no message outlives its code.
// The codes are read from the server's source with the TypeScript parser: the code argument of `new AppError`
// and `sendProblem`, and of every function that passes one of its parameters on as that argument (badRequest,
// conflict, unprocessable, ingest's fileError, …), followed through literals, `a ? 'x' : 'y'`, `a ?? 'x'` and
// constants (a table of [status, code, detail] rows). A code argument it cannot follow fails the test.

const root = path.join(__dirname, '../..');

function serverFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return rel === 'src/web/client' ? [] : serverFiles(rel);
    return /(?<!\.test|\.d)\.ts$/.test(e.name) ? [rel] : [];
  });
}

interface Scan {
  /** code → where it is answered */
  codes: Map<string, string[]>;
  /** callee → index of its code argument */
  sinks: Map<string, number>;
  /** answers of a code another error carries (the error handler rendering an AppError) */
  passedOn: string[];
  unresolved: string[];
}

type Fn = ts.FunctionLikeDeclaration;
const isFn = (n: ts.Node): n is Fn =>
  ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n);

function fnName(fn: Fn): string | undefined {
  if (fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  return ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name) ? fn.parent.name.text : undefined;
}

function calleeName(call: ts.CallExpression | ts.NewExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return ts.isNewExpression(call) ? `new ${e.text}` : e.text;
  return ts.isPropertyAccessExpression(e) && ts.isCallExpression(call) ? e.name.text : undefined; // this.fail(…)
}

function scanFile(sf: ts.SourceFile, sinks: Map<string, number>, out: Scan): void {
  const where = (n: ts.Node) => `${sf.fileName}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const decls = new Map<string, ts.VariableDeclaration[]>();
  const collect = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n)) {
      const names = ts.isIdentifier(n.name) ? [n.name.text] : n.name.elements.flatMap((b) => (ts.isBindingElement(b) && ts.isIdentifier(b.name) ? [b.name.text] : []));
      for (const name of names) decls.set(name, [...(decls.get(name) ?? []), n]);
    }
    ts.forEachChild(n, collect);
  };
  collect(sf);

  // The strings an expression can be (`element`: the strings at that index of the arrays it can be). A parameter
  // of the enclosing function makes that function a sink.
  const values = (e: ts.Expression, site: ts.Node, element?: number): string[] => {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e)) return values(e.expression, site, element);
    if (ts.isConditionalExpression(e)) return [...values(e.whenTrue, site, element), ...values(e.whenFalse, site, element)];
    if (ts.isBinaryExpression(e) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(e.operatorToken.kind)) {
      return [...values(e.left, site, element), ...values(e.right, site, element)];
    }
    if (element === undefined && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e))) return [e.text];
    if (element !== undefined && ts.isArrayLiteralExpression(e)) {
      const item = e.elements[element];
      return item ? values(item, site) : [];
    }
    if (element !== undefined && ts.isObjectLiteralExpression(e)) {
      return e.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? values(p.initializer, site, element) : []));
    }
    if (element !== undefined && ts.isElementAccessExpression(e)) return values(e.expression, site, element);
    if (element === undefined && ts.isPropertyAccessExpression(e) && e.name.text === 'code') {
      out.passedOn.push(`${sf.fileName}: ${e.getText()}`);
      return [];
    }
    if (ts.isIdentifier(e)) {
      const fn = ts.findAncestor(site, (n) => isFn(n) && n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === e.text)) as Fn | undefined;
      const name = fn && fnName(fn);
      if (fn && name && element === undefined) {
        out.sinks.set(name, fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === e.text));
        return [];
      }
      const found = fn ? [] : (decls.get(e.text) ?? []);
      if (found.length) {
        return found.flatMap((d) => {
          if (!d.initializer) return [];
          if (ts.isIdentifier(d.name)) return values(d.initializer, d, element);
          const at = d.name.elements.findIndex((b) => ts.isBindingElement(b) && ts.isIdentifier(b.name) && b.name.text === e.text);
          return ts.isArrayBindingPattern(d.name) && element === undefined ? values(d.initializer, d, at) : [];
        });
      }
    }
    out.unresolved.push(`${where(e)}: ${e.getText()}${element === undefined ? '' : ` (item ${element})`}`);
    return [];
  };

  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) || ts.isNewExpression(n)) {
      const name = calleeName(n);
      const index = name === undefined ? undefined : sinks.get(name);
      const arg = index === undefined ? undefined : n.arguments?.[index];
      if (arg) for (const code of values(arg, n)) out.codes.set(code, [...(out.codes.get(code) ?? []), where(n)]);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}

function scanServer(): Scan {
  const sources = ['src', 'storage', 'workers']
    .flatMap(serverFiles)
    .map((f) => ts.createSourceFile(f, fs.readFileSync(path.join(root, f), 'utf8'), ts.ScriptTarget.Latest, true));
  let sinks = new Map([
    ['new AppError', 1],
    ['sendProblem', 2],
  ]);
  // Until no new sink turns up: a helper's callers are scanned once the helper is known.
  for (;;) {
    const out: Scan = { codes: new Map(), sinks: new Map(sinks), passedOn: [], unresolved: [] };
    for (const sf of sources) scanFile(sf, sinks, out);
    if (out.sinks.size === sinks.size) return out;
    sinks = out.sinks;
  }
}

const scan = scanServer();
const found = [...scan.codes.keys()].sort();
const report = () =>
  [
    `sinks (callee → code argument): ${[...scan.sinks].map(([k, v]) => `${k}#${v}`).join(', ')}`,
    `passed on: ${scan.passedOn.join('; ') || 'none'}`,
    `unresolved: ${scan.unresolved.join('; ') || 'none'}`,
    `${found.length} codes:`,
    ...[...scan.codes].sort(([a], [b]) => a.localeCompare(b)).map(([code, at]) => `  ${code}  ${at.join(' ')}`),
  ].join('\n');

const messageCodes = (lang: Lang) =>
  Object.keys(problems[lang])
    .map((k) => k.replace(/^problem\./, ''))
    .sort();

describe('the problem codes the server answers', () => {
  test('the scan follows every code argument and finds the known helpers and codes', () => {
    const known = ['badge_required', 'weak_password', 'unknown_bulletin', 'missing_field', 'invalid_field', 'not_found', 'internal', 'csrf', 'cross_origin', 'too_large', 'malformed_multipart', 'too_many_parts', 'sha256_mismatch', 'empty_file'];
    const ok =
      scan.unresolved.length === 0 &&
      known.every((c) => scan.codes.has(c)) &&
      ['badRequest', 'conflict', 'unprocessable', 'fileError', 'fail'].every((s) => scan.sinks.has(s)) &&
      // The error handler renders an AppError's own code; any other place that passes a code on needs a look.
      JSON.stringify(scan.passedOn) === JSON.stringify(['src/http/problem.ts: err.code']);
    if (!ok) console.log(report());
    expect(scan.unresolved).toEqual([]);
    expect(found).toEqual(expect.arrayContaining(known));
    expect(scan.passedOn).toEqual(['src/http/problem.ts: err.code']);
  });

  test('every code has a message in Chinese and in English, and every message has a code', () => {
    const missing = found.filter((c) => !(`problem.${c}` in problems.zh) || !(`problem.${c}` in problems.en));
    const stale = messageCodes('zh').filter((c) => !scan.codes.has(c));
    if (missing.length || stale.length) console.log(`no message for: ${missing.join(', ') || 'none'}\nno longer answered: ${stale.join(', ') || 'none'}\n${report()}`);
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
    expect(messageCodes('en')).toEqual(messageCodes('zh'));
  });

  test('the messages are plain text: nothing to fill in, nothing empty', () => {
    for (const lang of ['zh', 'en'] as const) {
      for (const [key, text] of Object.entries(problems[lang])) {
        expect([key, text.trim().length > 0, /[{}]/.test(text)]).toEqual([key, true, false]);
      }
    }
    for (const text of Object.values(problems.zh)) expect(text).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('the error text (errorText in ui.tsx passes an ApiError to problemText)', () => {
  const sayIn =
    (lang: Lang): Say =>
    (key, params = {}) => {
      const text: string = (common[lang] as Record<string, string>)[key] ?? (problems[lang] as Record<string, string>)[key] ?? key;
      return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
    };
  const text = (lang: Lang, err: Problem) => problemText(err, lang, sayIn(lang));
  const problem = (status: number, code: string, detail: string): Problem => ({ status, code, detail });
  const weak = problem(400, 'weak_password', 'password must be at least 12 characters');

  test('in Chinese: the meaning of the code, then the English detail in full-width parentheses', () => {
    expect(text('zh', weak)).toBe('密码不符合要求（password must be at least 12 characters）');
    expect(text('zh', problem(422, 'unknown_bulletin', 'no bulletin 7f3c'))).toBe('找不到要更正的通报（no bulletin 7f3c）');
    expect(text('zh', problem(403, 'out_of_scope', 'spot check 3 does not cover unit ZF2'))).toBe('不在您所在单位的管辖范围内（spot check 3 does not cover unit ZF2）');
    expect(text('zh', problem(400, 'badge_required', ''))).toBe('执法人员账号须填写警号');
  });

  test('in English: the kind and the detail, as before; the meaning of the code when there is no detail', () => {
    expect(text('en', weak)).toBe('Invalid input: password must be at least 12 characters');
    expect(text('en', problem(409, 'number_taken', 'bulletin number 3 is taken'))).toBe('Conflicts with an existing record: bulletin number 3 is taken');
    expect(text('en', problem(404, 'not_found', ''))).toBe((problems.en as Record<string, string>)['problem.not_found']);
    expect(text('en', problem(404, 'no_such_code', ''))).toBe('The action failed (404)');
  });

  test('a code without a message, a role refusal and the network keep their text', () => {
    expect(text('zh', problem(502, 'http_502', 'Bad Gateway'))).toBe('操作失败：Bad Gateway');
    expect(text('zh', problem(400, 'some_new_code', 'x is wrong'))).toBe('输入有误：x is wrong');
    expect(text('zh', problem(403, 'forbidden', 'the officer role may not do this'))).toBe('您的角色无权执行此操作');
    expect(text('en', problem(0, 'network', ''))).toBe('Cannot reach the server; check the network and try again');
  });
});
