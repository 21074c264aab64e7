// The official `stripe` Node package (stripe-node) against sandbank, unchanged but for where it
// connects: customers, Financial Connections sessions, linked accounts, owners, transactions,
// Ownership Match (rawRequest with the preview flag), webhook endpoints, events, and the SDK's
// own error classes.
//
//   node flow.cjs <base url> link
//       creates a customer (the documents' Jenny Rosen), a session completed by the test
//       helper, and a test account with known owners, balance and transactions, prefetching
//       every feature; prints {"customer", "session", "account"} as JSON on its last line.
//   node flow.cjs <base url> read <customer> <session> <account>
//       after the refresh worker ran: reads, matches, pages, disconnects, deletes.
//
// Run by tests/api/sdk_node.rs, which drains the refresh worker between the two phases.
// Exits non-zero at the first mismatch, naming it.
'use strict';

const assert = require('node:assert/strict');
const Stripe = require('stripe');

const [BASE, PHASE, ...ARGS] = process.argv.slice(2);
const PREVIEW = '2026-07-29.dahlia; financial_connections_ownership_match_api_preview=v1';
const TRANSACTIONS = 7;

function client() {
  const url = new URL(BASE);
  return new Stripe('sk_test_sandbank', {
    host: url.hostname,
    port: url.port,
    protocol: url.protocol.replace(':', ''),
    maxNetworkRetries: 0,
  });
}

/** The JSON body of a rawRequest answer. */
function body(raw) {
  return JSON.parse(JSON.stringify(raw));
}

async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('the request was expected to fail');
}

async function link(stripe) {
  const customer = await stripe.customers.create({
    name: 'Jenny Rosen',
    email: 'jennyrosen@example.com',
    phone: '+1 212-555-5555',
    address: {
      line1: '354 Oyster Point Blvd',
      city: 'South San Francisco',
      state: 'CA',
      postal_code: '94080',
      country: 'US',
    },
    metadata: {team: 'payments'},
  });
  assert.match(customer.id, /^cus_/);
  assert.equal(customer.livemode, false);
  assert.deepEqual(customer.metadata, {team: 'payments'});

  const session = await stripe.financialConnections.sessions.create({
    account_holder: {type: 'customer', customer: customer.id},
    permissions: ['ownership', 'balances', 'transactions'],
    filters: {countries: ['US'], account_subcategories: ['checking', 'savings']},
    return_url: 'https://example.com/done',
  });
  assert.match(session.id, /^fcsess_/);
  assert.ok(session.client_secret, 'a client secret');
  assert.equal(session.status, 'pending');
  assert.equal(session.return_url, 'https://example.com/done');

  const completed = body(
    await stripe.rawRequest('POST', `/v1/test_helpers/financial_connections/sessions/${session.id}/complete`, {}),
  );
  assert.equal(completed.status, 'succeeded');
  const again = await stripe.financialConnections.sessions.retrieve(session.id);
  assert.deepEqual(again.accounts.data.map((a) => a.subcategory).sort(), ['checking', 'savings']);

  const account = body(
    await stripe.rawRequest('POST', '/v1/test_helpers/financial_connections/accounts', {
      account_holder: {customer: customer.id},
      permissions: ['ownership', 'balances', 'transactions'],
      prefetch: ['ownership', 'balances', 'transactions'],
      display_name: 'Everyday Checking',
      owners: [
        {
          name: 'Jennifer Rosen',
          email: 'jennyrosen@test.com',
          raw_address: '354 Oyster Point Blvd South San Francisco, CA 94080 USA',
        },
      ],
      balance: {current: {usd: 123456}},
      transactions: Array.from({length: TRANSACTIONS}, (_, i) => ({
        amount: -100 * (i + 1),
        description: `Purchase ${i}`,
        transacted_at: 1700000000 + 3600 * i,
      })),
    }),
  );
  assert.match(account.id, /^fca_/);
  assert.equal(account.ownership_refresh.status, 'pending');
  console.log(JSON.stringify({customer: customer.id, session: session.id, account: account.id}));
}

async function read(stripe, customerId, sessionId, accountId) {
  const accounts = stripe.financialConnections.accounts;

  const listed = await accounts.list({account_holder: {customer: customerId}, limit: 2});
  assert.equal(listed.object, 'list');
  assert.equal(listed.has_more, true);
  const every = [];
  for await (const a of accounts.list({account_holder: {customer: customerId}, limit: 2})) every.push(a.id);
  assert.equal(every.length, 3, `two from the session and the test account: ${every}`);
  assert.ok(every.includes(accountId));
  const bySession = await accounts.list({session: sessionId});
  assert.equal(bySession.data.length, 2);

  const account = await accounts.retrieve(accountId, {expand: ['ownership', 'account_holder.customer']});
  assert.equal(account.display_name, 'Everyday Checking');
  assert.equal(account.account_holder.customer.id, customerId, 'account_holder.customer expanded');
  assert.equal(account.ownership_refresh.status, 'succeeded');
  assert.match(account.ownership.id, /^fcaowns_/);
  assert.equal(account.balance.current.usd, 123456);
  assert.equal(account.transaction_refresh.status, 'succeeded');

  const owners = await accounts.listOwners(accountId, {ownership: account.ownership.id});
  assert.equal(owners.data.length, 1);
  assert.equal(owners.data[0].object, 'financial_connections.account_owner');
  assert.equal(owners.data[0].name, 'Jennifer Rosen');
  const missing = await refusal(accounts.listOwners(accountId, {}));
  assert.ok(missing instanceof Stripe.errors.StripeInvalidRequestError, missing.constructor.name);
  assert.equal(missing.param, 'ownership');

  const txns = [];
  for await (const t of stripe.financialConnections.transactions.list({account: accountId, limit: 3})) txns.push(t);
  assert.equal(txns.length, TRANSACTIONS);
  assert.deepEqual(
    txns.map((t) => t.transacted_at),
    [...txns.map((t) => t.transacted_at)].sort((a, b) => b - a),
    'newest first',
  );
  const one = await stripe.financialConnections.transactions.retrieve(txns[0].id);
  assert.equal(one.amount, txns[0].amount);
  const ranged = await stripe.financialConnections.transactions.list({
    account: accountId,
    transacted_at: {gte: 1700000000 + 3600 * 5},
  });
  assert.equal(ranged.data.length, 2);

  // The documents' sample, through the customer the account belongs to.
  const match = body(
    await stripe.rawRequest(
      'POST',
      '/v1/financial_connections/ownership_match',
      {financial_connections_account: accountId},
      {apiVersion: PREVIEW},
    ),
  );
  assert.equal(match.object, 'financial_connections.ownership_match');
  assert.equal(match.customer, customerId);
  assert.deepEqual(
    {
      name: match.results.name.match_score,
      address: match.results.address.match_score,
      email: match.results.email.match_score,
      phone: match.results.phone,
    },
    {name: 85, address: 100, email: 65, phone: {match_score: null, missing_data: true}},
  );
  const gate = await refusal(
    stripe.rawRequest('POST', '/v1/financial_connections/ownership_match', {financial_connections_account: accountId}),
  );
  assert.equal(gate.statusCode, 400);
  assert.match(gate.message, /financial_connections_ownership_match_api_preview=v1/);

  const cooldown = await refusal(accounts.refresh(accountId, {features: ['balance']}));
  assert.equal(cooldown.statusCode, 400, 'refreshed moments ago');
  const subscribed = await accounts.subscribe(accountId, {features: ['transactions']});
  assert.deepEqual(subscribed.subscriptions, ['transactions']);
  const unsubscribed = await accounts.unsubscribe(accountId, {features: ['transactions']});
  assert.deepEqual(unsubscribed.subscriptions, []);

  const endpoint = await stripe.webhookEndpoints.create({
    url: 'http://127.0.0.1:9/webhooks',
    enabled_events: ['financial_connections.account.disconnected'],
  });
  assert.match(endpoint.secret, /^whsec_/);
  const updated = await stripe.webhookEndpoints.update(endpoint.id, {disabled: true});
  assert.equal(updated.status, 'disabled');
  assert.equal(updated.secret, undefined, 'the secret is shown only on create');

  const disconnected = await accounts.disconnect(accountId);
  assert.equal(disconnected.status, 'disconnected');
  const events = await stripe.events.list({type: 'financial_connections.account.*', limit: 100});
  const types = events.data.map((e) => e.type);
  for (const t of ['created', 'refreshed_ownership', 'refreshed_balance', 'refreshed_transactions', 'disconnected']) {
    assert.ok(types.includes(`financial_connections.account.${t}`), `${t} in ${types}`);
  }
  const event = await stripe.events.retrieve(events.data[0].id);
  assert.equal(event.data.object.object, 'financial_connections.account');

  const deletedEndpoint = await stripe.webhookEndpoints.del(endpoint.id);
  assert.equal(deletedEndpoint.deleted, true);
  const deleted = await stripe.customers.del(customerId);
  assert.equal(deleted.deleted, true);

  const unknown = await refusal(stripe.customers.create({nickname: 'x'}));
  assert.ok(unknown instanceof Stripe.errors.StripeInvalidRequestError);
  assert.equal(unknown.param, 'nickname');
  assert.match(unknown.requestId, /^req_/);
  const absent = await refusal(accounts.retrieve('fca_doesnotexist'));
  assert.equal(absent.statusCode, 404);
  assert.equal(absent.code, 'resource_missing');
  const badKey = await refusal(
    new Stripe('sk_test_wrong', {host: new URL(BASE).hostname, port: new URL(BASE).port, protocol: 'http'}).customers.list(),
  );
  assert.ok(badKey instanceof Stripe.errors.StripeAuthenticationError, badKey.constructor.name);
  console.log('read phase passed');
}

(async () => {
  const stripe = client();
  if (PHASE === 'link') await link(stripe);
  else if (PHASE === 'read') await read(stripe, ...ARGS);
  else throw new Error(`unknown phase ${PHASE}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
