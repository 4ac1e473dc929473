// Node's `events` for PouchDB in the browser, as bundlers provide it (the
// `events` npm package): the EventEmitter API PouchDB uses. Its prototype
// methods are enumerable (PouchDB copies them onto its constructor).
export default function EventEmitter() {
  this._events = this._events || Object.create(null);
  this._max = this._max ?? 10;
}
const P = EventEmitter.prototype;
const list = (ee, type) => ((ee._events ||= Object.create(null))[type] ||= []);
P.addListener = function (type, fn) {
  if (this._events?.newListener) this.emit('newListener', type, fn.listener || fn);
  list(this, type).push(fn);
  return this;
};
P.on = P.addListener;
P.prependListener = function (type, fn) { list(this, type).unshift(fn); return this; };
P.once = function (type, fn) {
  const self = this;
  function wrapped(...args) { self.removeListener(type, wrapped); return fn.apply(this, args); }
  wrapped.listener = fn;
  return this.on(type, wrapped);
};
P.removeListener = function (type, fn) {
  const l = this._events?.[type];
  if (!l) return this;
  const i = l.findIndex((f) => f === fn || f.listener === fn);
  if (i >= 0) {
    l.splice(i, 1);
    if (!l.length) delete this._events[type];
    if (this._events.removeListener) this.emit('removeListener', type, fn);
  }
  return this;
};
P.off = P.removeListener;
P.removeAllListeners = function (type) {
  if (!this._events) return this;
  if (type === undefined) this._events = Object.create(null);
  else delete this._events[type];
  return this;
};
P.emit = function (type, ...args) {
  const l = this._events?.[type];
  if (!l || !l.length) {
    if (type === 'error') throw args[0] instanceof Error ? args[0] : new Error('Unhandled error: ' + args[0]);
    return false;
  }
  for (const fn of [...l]) fn.apply(this, args);
  return true;
};
P.listeners = function (type) { return (this._events?.[type] || []).map((f) => f.listener || f); };
P.rawListeners = function (type) { return [...(this._events?.[type] || [])]; };
P.listenerCount = function (type) { return this._events?.[type]?.length || 0; };
P.setMaxListeners = function (n) { this._max = n; return this; };
P.getMaxListeners = function () { return this._max ?? 10; };
P.eventNames = function () { return Object.keys(this._events || {}); };
EventEmitter.EventEmitter = EventEmitter;
EventEmitter.listenerCount = (ee, type) => ee.listenerCount(type);
EventEmitter.defaultMaxListeners = 10;
