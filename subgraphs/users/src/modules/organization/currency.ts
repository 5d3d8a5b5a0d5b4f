/** The ISO 4217 codes this runtime knows (ICU's list, about 160 current and recent currencies). */
const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/** The ISO 4217 code written in capitals, or `null` when it is not a known currency. */
export function knownCurrency(code: string): string | null {
  const upper = code.trim().toUpperCase();
  return /^[A-Z]{3}$/.test(upper) && CURRENCIES.has(upper) ? upper : null;
}
