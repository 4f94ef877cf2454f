/** A page area's messages: Chinese first (the default), English with exactly the same keys. */
export const defineMessages = <Z extends Record<string, string>>(zh: Z, en: { [K in keyof Z]: string }) => ({ zh, en });
