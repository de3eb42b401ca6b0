// Byte values of the telnet protocol (RFC 854) and the ASCII controls the console reacts to.

/** "Interpret as command": starts every telnet command; doubled it stands for a literal 255. */
export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
/** Subnegotiation begin; everything up to IAC SE belongs to the option, not to the line. */
export const SB = 250;
export const GA = 249;
/** Erase line. */
export const EL = 248;
/** Erase character. */
export const EC = 247;
export const AYT = 246;
export const AO = 245;
/** Interrupt process: what telnet sends for Ctrl-C. */
export const IP = 244;
export const BRK = 243;
export const DM = 242;
export const NOP = 241;
export const SE = 240;
export const ABORT = 238;
/** End of file: what telnet in linemode sends for Ctrl-D. */
export const EOF = 236;

export const NUL = 0x00;
export const CTRL_C = 0x03;
export const CTRL_D = 0x04;
export const BS = 0x08;
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const DEL = 0x7f;
