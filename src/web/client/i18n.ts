import common from './messages/common';
import evidence from './messages/evidence';
import compliance from './messages/compliance';
import officer from './messages/officer';
import admin from './messages/admin';
import problems from './messages/problems';

// Chinese by default; the choice is kept in the browser. Each page area keeps its own message file.
const areas = [common, evidence, compliance, officer, admin, problems];
export type MessageKey = (
  | keyof typeof common.zh
  | keyof typeof evidence.zh
  | keyof typeof compliance.zh
  | keyof typeof officer.zh
  | keyof typeof admin.zh
  | keyof typeof problems.zh
) &
  string;

export type Lang = 'zh' | 'en';
const dicts: Record<Lang, Record<string, string>> = { zh: {}, en: {} };
for (const a of areas as { zh: Record<string, string>; en: Record<string, string> }[]) {
  Object.assign(dicts.zh, a.zh);
  Object.assign(dicts.en, a.en);
}

const STORAGE_KEY = 'bce-lang';
let lang: Lang = (() => {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
})();

export const currentLang = (): Lang => lang;
export const locale = (): string => (lang === 'zh' ? 'zh-CN' : 'en');

export function setLang(next: Lang): void {
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* private mode: the choice lasts this page only */
  }
  document.documentElement.lang = locale();
}

/** The message for a key in the current language; `{name}` placeholders are filled from params. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = dicts[lang][key] ?? dicts.zh[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : text;
}
