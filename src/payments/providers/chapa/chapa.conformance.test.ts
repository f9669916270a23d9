import { describeAdapterConformance } from '../conformance/adapter-suite.ts';
import { chapaConformanceDriver } from './conformance.ts';

describeAdapterConformance(chapaConformanceDriver);
