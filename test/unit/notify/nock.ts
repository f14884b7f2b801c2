// nock 15 intercepts through @mswjs/interceptors 0.44, which calls Promise.withResolvers
// (Node 22+) although both declare Node 20 support: on Node 20 every intercepted request
// fails with "Promise.withResolvers is not a function". Tests import nock from here, which
// adds the standard method where it is missing.
import nock from 'nock';

interface WithResolvers {
  withResolvers?<T>(): { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
}

const PromiseCtor = Promise as unknown as WithResolvers;
PromiseCtor.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export default nock;
