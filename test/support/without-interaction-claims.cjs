// Loaded with `node --require` into an app process for the control run of the high-availability
// test: the instance believes it won every interaction claim, as if there were no claim at all.
const { resolve } = require('node:path');

const claims = require(
  resolve(__dirname, '..', '..', 'dist', 'src', 'discord', 'interaction-claims.repository.js'),
);
claims.InteractionClaims.prototype.claim = async () => 'won';
