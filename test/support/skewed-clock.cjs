// Loaded with `node --require` into an app process: its clock runs CLOCK_SKEW_MS ahead of the
// machine's (Date.now() and new Date() both), as a server whose clock drifted would.
const skew = Number(process.env.CLOCK_SKEW_MS || 0);
const RealDate = Date;

class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + skew);
    else super(...args);
  }

  static now() {
    return RealDate.now() + skew;
  }
}

// Libraries that recognise Date by its name (Mongoose's schema types) still do.
Object.defineProperty(SkewedDate, 'name', { value: 'Date' });
globalThis.Date = SkewedDate;
