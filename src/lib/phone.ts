import { isValidPhoneNumber } from 'libphonenumber-js/max';

/**
 * Phone number normalisation to E.164, validated against libphonenumber's numbering plans.
 *
 * What it does: strips `tel:` / `whatsapp:` prefixes and the usual formatting (spaces, dashes,
 * dots, parentheses), understands `+` and the `00` international prefix, drops the "(0)" trunk
 * hint written inside international numbers ("+44 (0)20 …"), and, given a default country
 * calling code, turns a national number into an international one by dropping a single leading
 * trunk `0` (or NANP's leading `1`).
 *
 * The result is then checked with libphonenumber-js's full (`max`) metadata: the country code
 * must exist and the national number must fall in an allocated range of the right length for it
 * (`+999 1234 5678` has no country; `+1 000 000 0000` has no NANP area code). The `min` metadata
 * checks lengths only and lets through numbers such as `+49 15100`, so it is not used.
 *
 * What it does not do: know every country's trunk prefix (only Italy's kept zero and NANP's `1` are
 * special-cased), understand other international prefixes such as `011`, letters in vanity
 * numbers, extensions, or `/` separators. Fictional ranges that are not allocated (NANP `555-01xx`
 * outside real area codes, Ofcom's `07700 900xxx` drama numbers) are refused like any other.
 */

const E164_MIN_DIGITS = 8;
const E164_MAX_DIGITS = 15;
// Longer raw input cannot be a formatted phone number; refusing early keeps the regexes cheap.
const MAX_RAW_LENGTH = 64;

const URI_PREFIX = /^(?:tel|whatsapp):/i;
const ALLOWED_CHARS = /^\+?[\d\s\-.()]+$/;
const TRUNK_HINT = /\(\s*0\s*\)/g;
const SEPARATORS = /[\s\-.()]/g;

/** Countries where the leading 0 of a national number belongs to the number (Italy, San Marino, Vatican). */
const KEEPS_LEADING_ZERO: ReadonlySet<string> = new Set(['39', '378', '379']);

/**
 * Normalises a phone number to E.164 (`+` followed by 8–15 digits), or returns `null` when the
 * input cannot be one (letters, stray symbols, too few or too many digits, national number with
 * no default country) or is not a valid number of its country.
 *
 * @param raw As typed or received: `+48 600 123 456`, `0048-600-123-456`, `tel:+1-202-555-0143`,
 *   `whatsapp:+14155238886`. Digits after `whatsapp:` are read as international even without `+`,
 *   because WhatsApp IDs always are.
 * @param defaultCountryCallingCode Calling code (`'48'` or `'+48'`) for numbers written without
 *   an international prefix. Without it such numbers are ambiguous and give `null`.
 * @throws RangeError when `defaultCountryCallingCode` is not 1–3 digits starting with 1–9; that is
 *   a configuration bug, not bad user input.
 */
export function normalizePhone(raw: string, defaultCountryCallingCode?: string): string | null {
  const defaultCode = defaultCountryCallingCode === undefined ? undefined : parseCallingCode(defaultCountryCallingCode);

  let text = raw.trim();
  if (text.length === 0 || text.length > MAX_RAW_LENGTH) return null;

  const prefix = URI_PREFIX.exec(text)?.[0].toLowerCase();
  if (prefix !== undefined) text = text.slice(prefix.length).trim();
  if (!ALLOWED_CHARS.test(text)) return null;

  const plus = text.startsWith('+');
  const digitsOnly = text.replace(SEPARATORS, '').replace(/^\+/, '');
  const international = plus || digitsOnly.startsWith('00') || prefix === 'whatsapp:';

  let e164Digits: string;
  if (international) {
    // "(0)" marks a trunk digit that must not be dialled from abroad.
    const digits = text.replace(TRUNK_HINT, '').replace(SEPARATORS, '').replace(/^\+/, '');
    e164Digits = !plus && digits.startsWith('00') ? digits.slice(2) : digits;
  } else {
    if (defaultCode === undefined) return null;
    e164Digits = defaultCode + stripTrunkPrefix(digitsOnly, defaultCode);
  }

  if (!/^[1-9]\d*$/.test(e164Digits)) return null;
  if (e164Digits.length < E164_MIN_DIGITS || e164Digits.length > E164_MAX_DIGITS) return null;
  const e164 = `+${e164Digits}`;
  return isValidPhoneNumber(e164) ? e164 : null;
}

function parseCallingCode(code: string): string {
  const digits = code.trim().replace(/^\+/, '');
  if (!/^[1-9]\d{0,2}$/.test(digits)) {
    throw new RangeError(`default country calling code must be 1-3 digits, got "${code}"`);
  }
  return digits;
}

function stripTrunkPrefix(national: string, countryCode: string): string {
  if (countryCode === '1') {
    // NANP numbers are 10 digits; an 11th leading 1 is the trunk prefix ("1-202-555-0143").
    return national.length === 11 && national.startsWith('1') ? national.slice(1) : national;
  }
  if (KEEPS_LEADING_ZERO.has(countryCode)) return national;
  return national.startsWith('0') ? national.slice(1) : national;
}
