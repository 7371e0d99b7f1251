import { z } from 'zod';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** A DNS-1123 label: the name of every object, so it can become a Kubernetes name or a hostname later. */
export const name = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    DNS1123_LABEL,
    'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

const labelKey = z
  .string()
  .max(317, 'label keys must be at most 317 characters')
  .regex(
    LABEL_KEY,
    'label keys are an optional DNS prefix and "/" then a name of letters, digits, "-", "_" and "."',
  );

const labels = z
  .record(
    labelKey,
    z
      .string()
      .max(63, 'label values must be at most 63 characters')
      .regex(
        LABEL_VALUE,
        'label values are letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
      ),
  )
  .refine((m) => Object.keys(m).length <= 64, 'at most 64 labels');

const annotations = z
  .record(labelKey, z.string())
  .refine((m) => JSON.stringify(m).length <= 256 * 1024, 'annotations must total at most 256 KiB');

/**
 * Metadata as a client writes it. Server-managed fields are accepted (so the
 * output of `get -o yaml` can be applied again) but only resourceVersion means
 * anything: it is the precondition of the write.
 */
export const metadataInput = z.strictObject({
  name,
  tenant: name.optional(),
  project: name.optional(),
  labels: labels.optional(),
  annotations: annotations.optional(),
  resourceVersion: z.string().regex(/^\d+$/, 'must be a decimal revision number').optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.string().optional(),
});

export type MetadataInput = z.infer<typeof metadataInput>;
