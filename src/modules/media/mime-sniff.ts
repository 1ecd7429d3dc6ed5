import { MediaKind } from '../message/content-kind';

/** How many leading bytes the sniffer looks at (or fewer when the file is shorter). */
export const SNIFF_BYTES = 4096;

/** What the bytes are. */
export interface SniffedType {
  mimeType: string;
  mediaKind: MediaKind;
}

/** Every type we accept, with the kind it becomes; anything the sniffer cannot name is refused. */
export const ACCEPTED_TYPES = {
  'image/jpeg': MediaKind.IMAGE,
  'image/png': MediaKind.IMAGE,
  'image/gif': MediaKind.IMAGE,
  'image/webp': MediaKind.IMAGE,
  'video/mp4': MediaKind.VIDEO,
  'video/3gpp': MediaKind.VIDEO,
  'video/3gpp2': MediaKind.VIDEO,
  'video/quicktime': MediaKind.VIDEO,
  'video/ogg': MediaKind.VIDEO,
  'audio/mp4': MediaKind.AUDIO,
  'audio/ogg': MediaKind.AUDIO,
  'audio/mpeg': MediaKind.AUDIO,
  'audio/aac': MediaKind.AUDIO,
  'audio/amr': MediaKind.AUDIO,
  'audio/amr-wb': MediaKind.AUDIO,
  'application/pdf': MediaKind.DOCUMENT,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': MediaKind.DOCUMENT,
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': MediaKind.DOCUMENT,
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': MediaKind.DOCUMENT,
  'application/zip': MediaKind.DOCUMENT,
  'text/plain': MediaKind.DOCUMENT,
} as const satisfies Record<string, MediaKind>;

export type AcceptedMimeType = keyof typeof ACCEPTED_TYPES;

const ascii = (bytes: Uint8Array, start: number, length: number): string => String.fromCharCode(...bytes.subarray(start, start + length));

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

/** ISO base media (`....ftyp<brand>`): the major brand says mp4, 3GPP, QuickTime or M4A audio. */
function isoBrand(bytes: Uint8Array): AcceptedMimeType | null {
  if (bytes.length < 12 || ascii(bytes, 4, 4) !== 'ftyp') return null;
  const brand = ascii(bytes, 8, 4);
  if (brand.startsWith('3gp')) return 'video/3gpp';
  if (brand.startsWith('3g2')) return 'video/3gpp2';
  if (brand === 'qt  ') return 'video/quicktime';
  if (brand === 'M4A ' || brand === 'M4B ') return 'audio/mp4';
  if (['isom', 'iso2', 'iso4', 'iso5', 'iso6', 'mp41', 'mp42', 'avc1', 'dash', 'M4V ', 'M4VH', 'M4VP', 'MSNV', 'NDAS'].includes(brand)) {
    return 'video/mp4';
  }
  return null; // HEIC, AVIF, … are ISO files too, and not accepted.
}

/** Ogg: the first packet names the codec; Theora is video, everything else (Opus, Vorbis…) audio. */
function oggType(bytes: Uint8Array): AcceptedMimeType {
  return ascii(bytes, 28, 7) === '\x80theora' ? 'video/ogg' : 'audio/ogg';
}

/** An MPEG audio frame header: 11 sync bits, a valid version, Layer III, sane bitrate and rate. */
function isMp3Frame(bytes: Uint8Array): boolean {
  if (bytes.length < 3 || bytes[0] !== 0xff || (bytes[1] & 0xe0) !== 0xe0) return false;
  const version = (bytes[1] >> 3) & 0b11;
  const layer = (bytes[1] >> 1) & 0b11;
  const bitrate = bytes[2] >> 4;
  const rate = (bytes[2] >> 2) & 0b11;
  return version !== 0b01 && layer === 0b01 && bitrate !== 0b1111 && rate !== 0b11;
}

/** An ADTS (raw AAC) header: 12 sync bits, layer 0, a defined sampling-frequency index. */
function isAdts(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && (bytes[1] & 0xf6) === 0xf0 && ((bytes[2] >> 2) & 0x0f) < 13;
}

/**
 * ZIP: office documents (OOXML) carry `[Content_Types].xml` and a `word/`, `xl/` or `ppt/` part;
 * the entry names are stored uncompressed in the local headers, so the first few KiB tell.
 * Any other archive is accepted as a plain zip document.
 */
function zipType(bytes: Uint8Array): AcceptedMimeType {
  const names = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (names.includes('[Content_Types].xml')) {
    if (names.includes('word/')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    if (names.includes('xl/')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    if (names.includes('ppt/')) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
  }
  return 'application/zip';
}

/**
 * Plain text: valid UTF-8 (a multi-byte character cut off by the sniff window is fine) without
 * control characters other than tab, line breaks and form feed. NUL bytes rule out binaries.
 */
function isPlainText(bytes: Uint8Array, complete: boolean): boolean {
  let end = bytes.length;
  if (!complete) {
    // Drop a trailing, possibly incomplete UTF-8 sequence (at most 3 bytes).
    let i = end - 1;
    while (i >= 0 && i >= end - 3 && (bytes[i] & 0xc0) === 0x80) i--;
    if (i >= 0 && bytes[i] >= 0xc0) end = i;
  }
  const body = bytes.subarray(0, end);
  for (const b of body) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) return false;
    if (b === 0x7f) return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

function detect(bytes: Uint8Array, complete: boolean): AcceptedMimeType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'image/webp';
  const iso = isoBrand(bytes);
  if (iso) return iso;
  if (ascii(bytes, 0, 4) === 'OggS') return oggType(bytes);
  if (ascii(bytes, 0, 3) === 'ID3' || isMp3Frame(bytes)) return 'audio/mpeg';
  if (isAdts(bytes)) return 'audio/aac';
  if (ascii(bytes, 0, 9) === '#!AMR-WB\n') return 'audio/amr-wb';
  if (ascii(bytes, 0, 6) === '#!AMR\n') return 'audio/amr';
  if (ascii(bytes, 0, 5) === '%PDF-') return 'application/pdf';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return zipType(bytes);
  if (isPlainText(bytes, complete)) return 'text/plain';
  return null;
}

/**
 * Names a file's type from its first bytes (up to SNIFF_BYTES), ignoring whatever the client
 * claimed. `complete` says the bytes are the whole file (so text may end anywhere). Returns null
 * for empty input and for anything not in ACCEPTED_TYPES: those uploads are refused.
 */
export function sniffMime(head: Uint8Array, complete = false): SniffedType | null {
  if (head.length === 0) return null;
  const mimeType = detect(head, complete);
  return mimeType ? { mimeType, mediaKind: ACCEPTED_TYPES[mimeType] } : null;
}
