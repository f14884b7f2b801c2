// nock 15 intercepts through @mswjs/interceptors, whose socket layer calls
// Promise.withResolvers (Node 22+); on Node 20 every intercepted request would fail with
// "Promise.withResolvers is not a function". The review tests import nock from here, which
// supplies the standard method first when the runtime lacks it.
import nock from 'nock';

type Resolvers<T> = { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
const promiseStatics = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

promiseStatics.withResolvers ??= <T>(): Resolvers<T> => {
  const out = {} as Resolvers<T>;
  out.promise = new Promise<T>((resolve, reject) => Object.assign(out, { resolve, reject }));
  return out;
};

export default nock;
