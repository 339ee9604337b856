// One dashboard section (servers or workstations): a grid of cards that the
// operator can reorder by dragging the grip, or from the keyboard (focus the
// grip, Space, arrows, Space).

import {
  closestCenter,
  DndContext,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type DragEndEvent,
} from "@dnd-kit/core";
import {
  rectSortingStrategy,
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
} from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import type { ServerResponse } from "../../types/generated/ServerResponse";
import { MachineCard } from "../../components/MachineCard";
import { GripIcon } from "../../components/icons";
import { displayName } from "../../lib/status";

function SortableCard({
  machine,
  sparkline,
  onTogglePause,
}: {
  machine: ServerResponse;
  sparkline?: (number | null)[];
  onTogglePause?: (m: ServerResponse) => Promise<void>;
}) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } =
    useSortable({ id: machine.id });
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      className={isDragging ? "relative z-10 opacity-80" : ""}
    >
      <MachineCard
        machine={machine}
        sparkline={sparkline}
        onTogglePause={onTogglePause}
        handle={
          <button
            type="button"
            ref={setActivatorNodeRef}
            {...attributes}
            {...listeners}
            aria-label={`Reorder ${displayName(machine)}`}
            className="relative z-10 -mr-1 -mt-1 cursor-grab touch-none rounded p-1 text-text-muted hover:bg-bg-tertiary hover:text-text-secondary active:cursor-grabbing"
            data-drag-handle={machine.id}
          >
            <GripIcon className="h-4 w-4" />
          </button>
        }
      />
    </li>
  );
}

export function MachineSection({
  title,
  machines,
  sparklines,
  onMove,
  onTogglePause,
  emptyText,
}: {
  title: string;
  machines: ServerResponse[];
  sparklines: Record<string, (number | null)[]>;
  onMove: (activeId: string, overId: string) => void;
  onTogglePause?: (m: ServerResponse) => Promise<void>;
  emptyText: string;
}) {
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const headingId = `section-${title.toLowerCase()}`;

  function onDragEnd(e: DragEndEvent) {
    if (e.over && e.active.id !== e.over.id) onMove(String(e.active.id), String(e.over.id));
  }

  return (
    <section aria-labelledby={headingId} className="mt-6">
      <h2 id={headingId} className="mb-3 flex items-baseline gap-2 text-lg font-bold text-text-primary">
        {title}
        <span className="font-mono text-sm font-normal text-text-tertiary">{machines.length}</span>
      </h2>
      {machines.length === 0 ? (
        <p className="rounded-lg border border-dashed border-border-default p-4 text-sm text-text-tertiary">
          {emptyText}
        </p>
      ) : (
        <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
          <SortableContext items={machines.map((m) => m.id)} strategy={rectSortingStrategy}>
            <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3 2xl:grid-cols-4">
              {machines.map((m) => (
                <SortableCard
                  key={m.id}
                  machine={m}
                  sparkline={sparklines[m.id]}
                  onTogglePause={onTogglePause}
                />
              ))}
            </ul>
          </SortableContext>
        </DndContext>
      )}
    </section>
  );
}
