/** bramble's own version. */
export const version = '0.1.0';
