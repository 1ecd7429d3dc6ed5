/**
 * The "Subscription log" sidebar plugin: lists every value of the running subscriptions with the
 * time it arrived, newest last, with a button to clear it. See `event-log.ts` for the state.
 */
import { Button, useGraphiQL, type GraphiQLPlugin } from '@graphiql/react';
import { useEffect, useLayoutEffect, useRef, useSyncExternalStore, type SVGProps } from 'react';
import { formatLogTime, LOG_KIND_LABEL, type EventLog, type LogEntry } from './event-log';
import './event-log.css';

/** Title in the sidebar tooltip ("Show Subscription log") and the panel heading. */
export const EVENT_LOG_TITLE = 'Subscription log';

function useLog(log: EventLog) {
  return useSyncExternalStore(log.subscribe, log.getSnapshot);
}

function Entry({ entry }: { entry: LogEntry }) {
  return (
    <li className="switchboard-log-entry" data-kind={entry.kind}>
      <div className="switchboard-log-line">
        <time dateTime={new Date(entry.at).toISOString()}>{formatLogTime(entry.at)}</time>
        <span className="switchboard-log-kind">{LOG_KIND_LABEL[entry.kind]}</span>
        <span className="switchboard-log-operation">{entry.operation}</span>
      </div>
      {entry.payload === undefined ? null : <pre className="switchboard-log-payload">{JSON.stringify(entry.payload, null, 2)}</pre>}
    </li>
  );
}

function Panel({ log }: { log: EventLog }) {
  const { entries, dropped } = useLog(log);
  const listRef = useRef<HTMLDivElement>(null);
  // Follow new entries only while the reader is at the bottom: scrolling up to read must not be undone.
  const following = useRef(true);
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && following.current) list.scrollTop = list.scrollHeight;
  }, [entries]);
  const onScroll = () => {
    const list = listRef.current;
    if (list) following.current = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  };
  return (
    <section className="switchboard-log" aria-label={EVENT_LOG_TITLE}>
      <div className="switchboard-log-header">
        {EVENT_LOG_TITLE}
        <Button type="button" onClick={log.clear} disabled={entries.length === 0 && dropped === 0}>
          Clear
        </Button>
      </div>
      <div className="switchboard-log-scroll" ref={listRef} onScroll={onScroll}>
        {dropped > 0 ? <p className="switchboard-log-note">{dropped} older entries dropped</p> : null}
        {entries.length === 0 ? (
          <p className="switchboard-log-note">Run a subscription: every event it delivers is listed here with its time, newest last.</p>
        ) : (
          <ol className="switchboard-log-entries">
            {entries.map((entry) => (
              <Entry key={entry.id} entry={entry} />
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}

function LogIcon(props: SVGProps<SVGSVGElement>) {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" {...props}>
      <path d="M8 6h12M8 12h12M8 18h12" />
      <circle cx="4" cy="6" r="1" fill="currentColor" />
      <circle cx="4" cy="12" r="1" fill="currentColor" />
      <circle cx="4" cy="18" r="1" fill="currentColor" />
    </svg>
  );
}

/** Creates the plugin object for `<GraphiQL plugins>`; keep one per log (GraphiQL compares plugins by identity). */
export function createEventLogPlugin(log: EventLog): GraphiQLPlugin {
  return {
    title: EVENT_LOG_TITLE,
    icon: LogIcon,
    content: function SubscriptionLog() {
      return <Panel log={log} />;
    },
  };
}

/**
 * Rendered as a child of `<GraphiQL>` (inside its context): opens the log when a subscription
 * starts and no other plugin is open, so its events are seen without hunting for the panel. An
 * open docs explorer or history is left alone; the sidebar icon still leads to the log.
 */
export function OpenLogOnSubscribe({ log }: { log: EventLog }) {
  const visiblePlugin = useGraphiQL((state) => state.visiblePlugin);
  const anyVisible = useRef(visiblePlugin !== null);
  anyVisible.current = visiblePlugin !== null;
  useEffect(() => {
    let seen = log.getSnapshot().entries.at(-1)?.id ?? 0;
    return log.subscribe(() => {
      const added = log.getSnapshot().entries.filter((entry) => entry.id > seen);
      seen = Math.max(seen, ...added.map((entry) => entry.id));
      if (anyVisible.current || !added.some((entry) => entry.kind === 'started')) return;
      // Through the sidebar button, as a click would: GraphiQL's setVisiblePlugin action selects the
      // plugin but leaves its pane collapsed (only the sidebar's handler also resizes the pane).
      const button = document.querySelector<HTMLButtonElement>(
        `.graphiql-sidebar button[aria-label=${JSON.stringify(`Show ${EVENT_LOG_TITLE}`)}]`,
      );
      button?.click();
    });
  }, [log]);
  return null;
}
